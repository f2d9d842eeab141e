package org.convlens.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report job on the demo's outputs: what it draws, its caps, and its failures. */
class ReportIT {
  private static final Pattern DATA =
      Pattern.compile("<script type=\"application/json\" id=\"convlens-data\">(.*?)</script>", Pattern.DOTALL);

  /** The JSON the report's script draws from. */
  static JsonNode data(Path html) throws Exception {
    Matcher m = DATA.matcher(Files.readString(html));
    assertTrue(m.find(), "no data block in " + html);
    return new ObjectMapper().readTree(m.group(1));
  }

  @Test
  void demoReportHoldsEverySectionsData() throws Exception {
    Path out = DemoOutput.dir();
    Path html = out.resolve("report/index.html");
    JsonNode d = data(html);
    JsonNode e = d.get("embedding");
    assertEquals(1056, e.get("n").asInt());
    assertEquals(1056, e.get("available").asInt());
    List<String> views = new ArrayList<>();
    for (JsonNode v : e.get("views")) {
      views.add(v.get("kind").asText() + (v.get("perplexity").isNull() ? "" : v.get("perplexity").asText()));
      assertEquals(1056, v.get("x").size());
      double t = v.get("trustworthiness").asDouble();
      assertTrue(t > 0.8 && t <= 1, v.get("kind") + " trustworthiness " + t);
      assertEquals(10, v.get("trust_k").asInt());
    }
    assertEquals(List.of("pca", "tsne5", "tsne30", "tsne50"), views);
    // t-SNE keeps neighbourhoods better than PCA on these well-separated classes.
    assertTrue(e.get("views").get(2).get("trustworthiness").asDouble() > e.get("views").get(0).get("trustworthiness").asDouble());
    assertEquals(1056, e.get("points").get("id").size());
    assertEquals(1, e.get("atlas").get("images").size());
    assertEquals(32, e.get("atlas").get("side").asInt());
    // gallery: 6 per class for the 10 classes (the sample holds 100+ of each), with maps and grids
    JsonNode items = d.get("gallery").get("items");
    assertEquals(60, items.size());
    assertEquals(10, d.get("gallery").get("classes").size());
    JsonNode first = items.get(0);
    for (String m : List.of("saliency", "gradcam", "cam")) {
      assertEquals(32 * 32, java.util.Base64.getDecoder().decode(first.get("maps").get(m).get("data").asText()).length, m);
    }
    assertEquals(2, first.get("occlusion").size());
    assertTrue(first.get("image").asText().startsWith("data:image/png;base64,"));
    // model sections
    JsonNode model = d.get("model");
    assertEquals(2, model.get("filters").size());
    assertTrue(model.get("architecture_svg").asText().startsWith("data:image/svg+xml;base64,"));
    assertEquals(10, model.get("maximization").get("targets").size());
    JsonNode target = model.get("maximization").get("targets").get(0);
    assertEquals(target.get("steps").asInt(), target.get("objective").size());
    assertEquals(target.get("snapshot_steps").size(), target.get("snapshots").size());
    assertEquals(3, model.get("class_vectors").size());
    assertEquals(10, model.get("class_vectors").get(0).get("x").size());
    // run summary
    JsonNode stats = d.get("run").get("stats");
    assertEquals(1060, stats.get("total").asInt());
    assertEquals(4, stats.get("errors").asInt());
    String page = Files.readString(html);
    assertTrue(page.contains("92.") || page.contains("top-1 accuracy"), "accuracy card");
    assertTrue(Files.size(html) < 8_000_000, "demo report size " + Files.size(html));
  }

  @Test
  void capsBoundWhatReachesTheReportAndTheSampleIsSeeded(@TempDir Path dir) throws Exception {
    Path out = DemoOutput.dir();
    Path a = dir.resolve("a.html");
    Path b = dir.resolve("b.html");
    Path c = dir.resolve("c.html");
    for (Object[] run : new Object[][] {{a, 1}, {b, 1}, {c, 2}}) {
      CliRun r = CliRun.of("report", "--out", out.toString(), "--file", run[0].toString(), "--master", "local[2]",
          "--set", "report.scatter.max-points=200", "--set", "report.gallery.per-class=2",
          "--set", "report.gallery.max-classes=3", "--set", "report.tsne.perplexities=[10]",
          "--set", "report.tsne.iterations=300", "--set", "report.seed=" + run[1],
          "--set", "report.scatter.thumbnail-side=0");
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("t-SNE perplexity 10"), r.out());
    }
    JsonNode da = data(a);
    assertEquals(200, da.get("embedding").get("n").asInt());
    assertEquals(1056, da.get("embedding").get("available").asInt());
    assertEquals(6, da.get("gallery").get("items").size());
    assertTrue(da.get("embedding").get("atlas").isNull());
    assertEquals(da.get("embedding").get("points").get("id"), data(b).get("embedding").get("points").get("id"));
    assertNotEquals(da.get("embedding").get("points").get("id"), data(c).get("embedding").get("points").get("id"));
    assertTrue(Files.size(a) < Files.size(out.resolve("report/index.html")));
  }

  @Test
  void withoutModelVizTheModelSectionsSaySo(@TempDir Path dir) throws Exception {
    Path out = DemoOutput.dir();
    Path html = dir.resolve("r.html");
    CliRun r = CliRun.of("report", "--analysis", out.resolve("analysis").toString(), "--out", dir.toString(),
        "--file", html.toString(), "--master", "local[2]", "--set", "report.tsne.perplexities=[5]",
        "--set", "report.tsne.iterations=250");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("missing (run model-viz)"), r.out());
    assertTrue(data(html).get("model").isNull());
    assertTrue(Files.readString(html).contains("No model-viz output next to this analysis"));
  }

  @Test
  void badOptionsFailFastNamingTheKey(@TempDir Path dir) throws Exception {
    String[][] cases = {
        {"report.analysis", "--analysis", dir.resolve("nothing").toString()},
        {"report.tsne.perplexities", "--set", "report.tsne.perplexities=[]"},
        {"report.tsne.perplexities", "--set", "report.tsne.perplexities=[30, 30]"},
        {"report.scatter.thumbnail-side", "--set", "report.scatter.thumbnail-side=4"},
        {"report.gallery.per-class", "--set", "report.gallery.per-class=-1"},
        {"report.model", "--model-viz", dir.resolve("no-model").toString()},
    };
    Path out = DemoOutput.dir();
    for (String[] c : cases) {
      List<String> args = new ArrayList<>(List.of("report", "--out", out.toString(), "--master", "local[1]",
          "--file", dir.resolve("x.html").toString()));
      args.add(c[1]);
      args.add(c[2]);
      CliRun r = CliRun.of(args.toArray(new String[0]));
      assertEquals(2, r.code(), c[0] + ": " + r.err() + r.out());
      assertTrue(r.err().contains(c[0]) || r.err().contains("no analysis output") || r.err().contains("no model-viz output"),
          c[0] + ": " + r.err());
      assertFalse(Files.exists(dir.resolve("x.html")), c[0]);
    }
    // Not an analysis output at all: a clear sentence, exit 2.
    Path notAnalysis = dir.resolve("other");
    Files.createDirectories(notAnalysis);
    org.convlens.testing.SharedSpark.get().range(3).write().parquet(notAnalysis.resolve("p").toString());
    CliRun r = CliRun.of("report", "--analysis", notAnalysis.resolve("p").toString(), "--out", dir.toString(),
        "--master", "local[1]");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("not a ConvLens analysis output"), r.err());
  }
}
