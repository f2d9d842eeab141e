package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.convlens.config.ConvLensHome;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way a model can be unusable gives a one-sentence error naming the file and field. */
class ModelLoaderErrorsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path shared;
  @TempDir Path tmp;

  /** A good saved SmallCnn (3 classes), copied by the DJL cases. */
  private static Path djlModel;

  @BeforeAll
  static void saveDjlModel() throws IOException {
    djlModel = shared.resolve("djl");
    try (Model model = ModelFixtures.seededSmallCnn(ModelFixtures.DJL_CLASSES.size(), 5)) {
      ModelFixtures.save(model,
          ModelFixtures.djlDescription("small-cnn-errors", ModelFixtures.DJL_CLASSES), djlModel);
    }
  }

  private static String failure(Path path) {
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> ModelLoader.load(ModelFixtures.cpuSpec(path)).close());
    System.out.println("  " + e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "not one line: " + e.getMessage());
    return e.getMessage();
  }

  private static void assertContains(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), "'" + part + "' not in: " + message);
    }
  }

  private Path copyDjl() throws IOException {
    Path dir = tmp.resolve("djl");
    Files.createDirectories(dir);
    for (String f : List.of(ModelLoader.DESCRIPTION_FILE, ModelFixtures.DJL_ARTIFACT)) {
      Files.copy(djlModel.resolve(f), dir.resolve(f));
    }
    return dir;
  }

  private static void editJson(Path file, Consumer<ObjectNode> edit) throws IOException {
    ObjectNode node = (ObjectNode) JSON.readTree(file.toFile());
    edit.accept(node);
    JSON.writeValue(file.toFile(), node);
  }

  @Test
  void missingPath() {
    Path missing = tmp.resolve("no-such-model");
    assertContains(failure(missing), "does not exist", missing.toString());
  }

  @Test
  void folderWithoutModelJson() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("empty"));
    assertContains(failure(dir), "expected " + dir.resolve("model.json"));
  }

  @Test
  void ptWithoutSidecar() throws IOException {
    Path pt = tmp.resolve("lonely.pt");
    Files.copy(ModelFixtures.tinyPt(), pt);
    assertContains(failure(pt), "no sidecar", tmp.resolve("lonely.json").toString());
  }

  @Test
  void unsupportedFile() throws IOException {
    Path onnx = Files.writeString(tmp.resolve("model.onnx"), "x");
    assertContains(failure(onnx), "unsupported model path", "model.onnx");
  }

  @Test
  void jsonSyntaxError() throws IOException {
    Path dir = copyDjl();
    Files.writeString(dir.resolve("model.json"), "{\"formatVersion\": 1, \"id\": ");
    assertContains(failure(dir), "invalid model description", dir.resolve("model.json").toString());
  }

  @Test
  void invalidFieldsAreNamed() throws IOException {
    Path dir = copyDjl();
    Path json = dir.resolve("model.json");
    editJson(json, n -> n.put("engine", "tensorflow"));
    assertContains(failure(dir), json.toString(), "engine");

    Files.copy(djlModel.resolve("model.json"), json, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    editJson(json, n -> n.put("epoch", "latest"));
    assertContains(failure(dir), json.toString(), "epoch");

    Files.copy(djlModel.resolve("model.json"), json, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    editJson(json, n -> n.remove("classNames"));
    assertContains(failure(dir), json.toString(), "classNames");
  }

  @Test
  void unknownArchitecture() throws IOException {
    Path dir = copyDjl();
    editJson(dir.resolve("model.json"), n -> n.put("architecture", "resnet-9000"));
    assertContains(failure(dir), "unknown architecture 'resnet-9000'",
        dir.resolve("model.json").toString(), SmallCnn.ARCHITECTURE);
  }

  @Test
  void torchscriptArtifactMustBeAPt() throws IOException {
    Path pt = ModelFixtures.copyTiny(tmp.resolve("ts"));
    Path json = pt.resolveSibling("tiny_cnn.json");
    editJson(json, n -> n.put("artifact", "tiny_cnn.params"));
    assertContains(failure(json), "needs a .pt artifact", "tiny_cnn.params", json.toString());
  }

  @Test
  void sidecarNamingAnotherArtifact() throws IOException {
    Path pt = ModelFixtures.copyTiny(tmp.resolve("ts"));
    editJson(pt.resolveSibling("tiny_cnn.json"), n -> n.put("artifact", "other.pt"));
    assertContains(failure(pt), "names artifact 'other.pt'", "tiny_cnn.pt");
  }

  @Test
  void missingWeights() throws IOException {
    Path dir = copyDjl();
    Files.delete(dir.resolve(ModelFixtures.DJL_ARTIFACT));
    assertContains(failure(dir), "weights file not found",
        dir.resolve(ModelFixtures.DJL_ARTIFACT).toString(), "'artifact'");

    Path pt = ModelFixtures.copyTiny(tmp.resolve("ts"));
    Files.delete(pt);
    assertContains(failure(pt.resolveSibling("tiny_cnn.json")), "weights file not found",
        pt.toString());
  }

  @Test
  void djlArtifactNameAndEpoch() throws IOException {
    Path dir = copyDjl();
    Path json = dir.resolve("model.json");
    editJson(json, n -> n.put("epoch", 3));
    assertContains(failure(dir), "epoch 0", "'epoch'", json.toString());

    Files.move(dir.resolve(ModelFixtures.DJL_ARTIFACT), dir.resolve("weights.bin"));
    editJson(json, n -> n.put("artifact", "weights.bin"));
    assertContains(failure(dir), "<prefix>-NNNN.params", "weights.bin");
  }

  @Test
  void truncatedDjlWeights() throws IOException {
    Path dir = copyDjl();
    Path params = dir.resolve(ModelFixtures.DJL_ARTIFACT);
    byte[] bytes = Files.readAllBytes(params);
    Files.write(params, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertContains(failure(dir), "cannot load weights from " + params);
  }

  @Test
  void notADjlParameterFile() throws IOException {
    Path dir = copyDjl();
    Path params = dir.resolve(ModelFixtures.DJL_ARTIFACT);
    Files.writeString(params, "these are not weights");
    assertContains(failure(dir), "cannot load weights from " + params, "DJL@");
  }

  @Test
  void truncatedTorchScript() throws IOException {
    Path pt = ModelFixtures.copyTiny(tmp.resolve("ts"));
    byte[] bytes = Files.readAllBytes(pt);
    Files.write(pt, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertContains(failure(pt), "cannot load weights from " + pt);
  }

  @Test
  void djlClassCountMismatch() throws IOException {
    Path dir = copyDjl();
    editJson(dir.resolve("model.json"),
        n -> n.putPOJO("classNames", List.of("a", "b", "c", "d")));
    assertContains(failure(dir), "logits", "4 classNames", dir.resolve("model.json").toString());
  }

  @Test
  void torchscriptClassCountMismatch() throws IOException {
    Path pt = ModelFixtures.copyTiny(tmp.resolve("ts"));
    Path json = pt.resolveSibling("tiny_cnn.json");
    editJson(json, n -> n.putPOJO("classNames", List.of("a", "b", "c")));
    assertContains(failure(pt), "logits of shape (2, 4)", "3 classNames", json.toString());
  }

  @Test
  void outputIndexOutOfRange() throws IOException {
    Path pt = ModelFixtures.copyTiny(tmp.resolve("ts"));
    Path json = pt.resolveSibling("tiny_cnn.json");
    editJson(json, n -> ((ObjectNode) n.get("outputs")).put("embedding", 5));
    assertContains(failure(pt), "returns 3 output(s)", "'outputs.embedding'", json.toString());
  }

  @Test
  void featureMapThatIsNotAMap() throws IOException {
    Path pt = ModelFixtures.copyTiny(tmp.resolve("ts"));
    Path json = pt.resolveSibling("tiny_cnn.json");
    editJson(json, n -> ((ObjectNode) n.get("outputs")).put("featureMap", 1));
    assertContains(failure(pt), "'outputs.featureMap'", json.toString());
  }

  @Test
  void inputShapeTheModelRejects() throws IOException {
    Path pt = ModelFixtures.copyTiny(tmp.resolve("ts"));
    Path json = pt.resolveSibling("tiny_cnn.json");
    editJson(json, n -> {
      ((ObjectNode) n.get("input")).put("channels", 1);
      ObjectNode p = (ObjectNode) n.get("preprocessing");
      p.putPOJO("mean", List.of(0.5));
      p.putPOJO("std", List.of(0.25));
    });
    assertContains(failure(pt), "test forward", "2×1×16×16", "'input'", json.toString());
  }

  /** A copy of the bundled model (sample-data/model): its model.json records featureMapShape. */
  private Path copyBundled() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("bundled"));
    try (var files = Files.list(ConvLensHome.bundledModel())) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    return dir;
  }

  private static void setInputSize(ObjectNode description, int size) {
    ((ObjectNode) description.get("input")).put("height", size).put("width", size);
  }

  @Test
  void inputSizeAGapModelAcceptsIsCheckedAgainstFeatureMapShape() throws IOException {
    Path dir = copyBundled();
    Path json = dir.resolve("model.json");
    editJson(json, n -> setInputSize(n, 64));
    assertContains(failure(dir), json.toString(), "declares input 3×64×64",
        "features.block3 comes out 128×16×16", "records 128×8×8 in outputs.featureMapShape",
        "fix 'input' in model.json");
  }

  @Test
  void inputSizeIsCheckedAgainstTheFeatureLayersRecordedShape() throws IOException {
    Path pt = ModelFixtures.copyTiny(tmp.resolve("ts"));
    Path json = pt.resolveSibling("tiny_cnn.json");
    editJson(json, n -> {
      setInputSize(n, 32);
      ((ObjectNode) n.get("outputs")).remove("featureMapShape"); // only the 'layers' entry
    });
    assertContains(failure(pt), json.toString(), "declares input 3×32×32",
        "conv2 comes out 16×32×32", "records 16×16×16 in the 'layers' entry conv2",
        "fix 'input' in tiny_cnn.json");

    Files.copy(ModelFixtures.torchscriptDir().resolve("tiny_cnn.json"), json,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    editJson(json, n -> setInputSize(n, 32));
    assertContains(failure(pt), "declares input 3×32×32", "16×32×32",
        "records 16×16×16 in outputs.featureMapShape", "'input'");
  }

  @Test
  void recordedFeatureMapShapesOfTheCommittedModelsMatch() throws Exception {
    Path dir = copyBundled();
    assertArrayEquals(new int[] {128, 8, 8}, ModelDescription.read(dir.resolve("model.json"))
        .outputs().featureMapShape());
    ModelLoader.load(ModelFixtures.cpuSpec(dir)).close();
    ModelLoader.load(ModelFixtures.cpuSpec(ModelFixtures.copyTiny(tmp.resolve("ts")))).close();
  }

  /** Documented: with neither featureMapShape nor layers recorded, the input size is unchecked. */
  @Test
  void withoutARecordedShapeAnotherInputSizeStillLoads() throws Exception {
    Path dir = copyBundled();
    Path json = dir.resolve("model.json");
    editJson(json, n -> {
      setInputSize(n, 64);
      ((ObjectNode) n.get("outputs")).remove("featureMapShape");
    });
    ModelDescription d = ModelDescription.read(json);
    assertNull(d.outputs().featureMapShape());
    assertNull(d.layers());
    try (Classifier c = ModelLoader.load(ModelFixtures.cpuSpec(dir))) {
      assertArrayEquals(new int[] {128, 16, 16}, c.gradientLayers().get("features.block3"));
    }
  }
}
