package org.convlens.modelviz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.convlens.model.Classifier;
import org.convlens.model.ModelLoader;
import org.convlens.model.ModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class ModelSummaryTest {
  /**
   * The bundled SmallCnn's totals, counted from its architecture by hand: six 3×3 convolutions
   * (3→32→32→64→64→128→128, with bias), a batch norm after each (γ, β trainable; running mean and
   * variance not), a 128→10 linear head.
   */
  @Test
  void bundledModelTotalsMatchItsArchitecture() throws Exception {
    int[] ch = {3, 32, 32, 64, 64, 128, 128};
    long conv = 0;
    long bnTrainable = 0;
    long bnStats = 0;
    for (int i = 1; i < ch.length; i++) {
      conv += (long) ch[i - 1] * ch[i] * 9 + ch[i];
      bnTrainable += 2L * ch[i];
      bnStats += 2L * ch[i];
    }
    long head = 128L * 10 + 10;
    ModelSummary s = ModelSummary.of(FeatureModels.bundled());
    assertEquals(conv + bnTrainable + bnStats + head, s.totalParameters());
    assertEquals(conv + bnTrainable + head, s.trainableParameters());
    assertEquals(bnStats, s.nonTrainableParameters());
    assertEquals(s.totalParameters(), s.layers().stream().mapToLong(ModelSummary.Layer::parameters).sum());
    // 6 × (conv, BN, ReLU) + 2 pools + the head, named as the equivalent torch.nn modules.
    assertEquals(21, s.layers().size());
    List<String> names = s.layers().stream().map(ModelSummary.Layer::name).toList();
    assertEquals(List.of("features.block1.conv1", "features.block1.bn1", "features.block1.relu1",
        "features.block1.conv2", "features.block1.bn2", "features.block1.relu2", "features.pool1",
        "features.block2.conv1"), names.subList(0, 8));
    assertEquals(List.of("features.block3.bn2", "features.block3.relu2", "head"), names.subList(18, 21));
    ModelSummary.Layer first = s.layers().get(0);
    assertEquals("Conv2d", first.type());
    assertArrayEquals(new int[] {32, 32, 32}, first.outputShape());
    assertEquals("3→32, 3×3", first.detail());
    assertEquals("BatchNorm2d", s.layers().get(1).type());
    assertEquals(2 * 32 + 2 * 32, s.layers().get(1).parameters());
    assertEquals("ReLU", s.layers().get(2).type());
    assertEquals("MaxPool2d", s.layers().get(6).type());
    assertArrayEquals(new int[] {32, 16, 16}, s.layers().get(6).outputShape());
    assertEquals("features.block3.conv1", s.layers().get(14).name());
    assertEquals("64→128, 3×3", s.layers().get(14).detail());
    ModelSummary.Layer last = s.layers().get(20);
    assertEquals("head", last.name());
    assertEquals("Linear", last.type());
    assertArrayEquals(new int[] {10}, last.outputShape());
    assertEquals(head, last.parameters());
    // Diagram: input, 6 convs, 2 pools, head, logits, embedding.
    assertEquals(12, s.diagram().size());
    assertEquals("input", s.diagram().get(0).title());
    assertEquals("3×32×32", s.diagram().get(0).subtitle());
    assertEquals("features.block1.conv1", s.diagram().get(1).title());
    assertEquals("features.pool1", s.diagram().get(3).title());
    assertEquals("head", s.diagram().get(9).title());
    String svg = ArchitectureSvg.render(s.diagram());
    assertTrue(svg.contains(">features.block3.conv1<") && svg.contains("MaxPool2d"), svg);
    assertFalse(svg.contains("01features") || svg.contains("LambdaBlock"), svg);
    assertArrayEquals(new int[] {128, 8, 8}, s.outputs().get("features.block3"));
  }

  /** The TorchScript fixture: rows from the description's layers, totals from the module. */
  @Test
  void torchScriptTotalsAndLayersFromTheDescription(@TempDir Path tmp) throws Exception {
    long expected = (3 * 8 * 9 + 8) + (8 * 16 * 9 + 16) + (16 * 4 + 4); // conv1, conv2, fc
    Path pt = FeatureModels.tinyPt();
    ModelSummary s = ModelSummary.of(FeatureModels.tiny());
    assertEquals(expected, s.totalParameters());
    assertEquals(expected, s.trainableParameters());
    assertEquals(List.of("conv1", "conv2", "fc"), s.layers().stream().map(ModelSummary.Layer::name).toList());
    assertEquals(List.of("Conv2d", "Conv2d", "Linear"), s.layers().stream().map(ModelSummary.Layer::type).toList());
    assertArrayEquals(new int[] {16, 16, 16}, s.layers().get(1).outputShape());
    assertEquals("8→16, 3×3", s.layers().get(1).detail());
    // Without recorded layers: modules from parameter names, types inferred, no shapes.
    Files.copy(pt, tmp.resolve("tiny_cnn.pt"));
    ObjectMapper json = new ObjectMapper();
    ObjectNode d = (ObjectNode) json.readTree(pt.resolveSibling("tiny_cnn.json").toFile());
    d.remove("layers");
    json.writeValue(tmp.resolve("tiny_cnn.json").toFile(), d);
    try (Classifier c = ModelLoader.load(new ModelSpec(tmp.resolve("tiny_cnn.pt").toString(), "cpu", 1, 1))) {
      ModelSummary bare = ModelSummary.of(c);
      assertEquals(expected, bare.totalParameters());
      assertEquals(List.of("Conv2d", "Conv2d", "Linear"), bare.layers().stream().map(ModelSummary.Layer::type).toList());
      assertNull(bare.layers().get(0).outputShape());
      assertTrue(bare.notes().get(0).contains("records no layers"));
    }
  }

  /** Layer names come from model files: the SVG escapes them and stays well-formed XML. */
  @Test
  void architectureSvgIsWellFormedAndEscapesNames() throws Exception {
    List<ModelSummary.Node> nodes = List.of(new ModelSummary.Node("input", "3×32×32", 0),
        new ModelSummary.Node("<script>alert(1)</script>", "Conv2d & \"friends\"", 1234),
        new ModelSummary.Node("logits", "10", 0));
    String svg = ArchitectureSvg.render(nodes);
    assertFalse(svg.contains("<script"), svg);
    assertTrue(svg.contains("&lt;script"), svg);
    Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    assertEquals("svg", doc.getDocumentElement().getTagName());
    assertEquals(3, doc.getElementsByTagName("rect").getLength());
    assertEquals(2, doc.getElementsByTagName("line").getLength());
    assertTrue(svg.contains("1,234 params"));
  }
}
