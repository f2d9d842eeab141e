package org.convlens.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.convlens.config.ConvLensHome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.interactions.WheelInput;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Opens generated reports in headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}, which {@code .ci/run} installs) through Selenium: no console errors (CSP
 * violations included), every section drawn, the scatter zooms, hovering shows a point's card,
 * clicking pins it, and the perplexity and patch-size selectors change what is drawn. A report
 * built from hostile file and class names must run no injected markup. Screenshots of each
 * section go to {@code target/report-screenshots/}.
 */
class ReportBrowserIT {
  static final Path CHROMIUM = Path.of(System.getProperty("convlens.chromium", "/usr/bin/chromium"));
  static final Path DRIVER = Path.of(System.getProperty("convlens.chromedriver", "/usr/bin/chromedriver"));
  static final Path SHOTS = Path.of("target", "report-screenshots").toAbsolutePath();
  static final List<String> SECTIONS = List.of("run", "model", "filters", "class-vectors", "embedding",
      "gallery", "occlusion", "attribution", "maximization", "audit");

  static ChromeDriver driver;

  @BeforeAll
  static void startBrowser() throws IOException {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(DRIVER)) {
      fail("the report's browser test needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + DRIVER
          + "): apt-get install chromium chromium-driver, as .ci/run does");
    }
    Files.createDirectories(SHOTS);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1400,1000", "--hide-scrollbars");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    driver = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stopBrowser() {
    if (driver != null) {
      driver.quit();
    }
  }

  private static Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  private static void open(Path html) {
    driver.get(html.toUri().toString());
    new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> SECTIONS.stream().allMatch(
        s -> d.findElement(By.id(s)).getAttribute("data-rendered") != null));
  }

  /** Console messages at warning level or above (CSP violations are logged as errors). */
  private static List<String> consoleProblems() {
    List<String> problems = new ArrayList<>();
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() >= Level.WARNING.intValue()) {
        problems.add(e.getLevel() + " " + e.getMessage());
      }
    }
    return problems;
  }

  private static void shoot(String name, WebElement element) throws IOException {
    js("arguments[0].scrollIntoView({block: 'start'}); window.scrollBy(0, -90);", element);
    Files.write(SHOTS.resolve(name + ".png"), element.getScreenshotAs(OutputType.BYTES));
  }

  /** A hash of a canvas's pixels, to see whether a control changed what is drawn. */
  private static String pixels(String canvasId) {
    return (String) js("return document.getElementById(arguments[0]).toDataURL();", canvasId);
  }

  private static boolean blank(String canvasId) {
    return (Boolean) js("var c = document.getElementById(arguments[0]); var d = c.getContext('2d')"
        + ".getImageData(0, 0, c.width, c.height).data; for (var i = 0; i < d.length; i += 4) {"
        + " if (d[i] || d[i + 1] || d[i + 2]) return false; } return true;", canvasId);
  }

  @Test
  void demoReportWorksInARealBrowser() throws Exception {
    Path html = DemoOutput.dir().resolve("report/index.html");
    open(html);
    assertEquals(List.of(), consoleProblems(), "console errors on load");
    for (String s : SECTIONS) {
      assertEquals("true", driver.findElement(By.id(s)).getAttribute("data-rendered"), s);
    }
    // Every section has content.
    assertTrue(driver.findElements(By.cssSelector("#run table.grid tbody tr")).size() >= 10, "run tables");
    assertTrue(driver.findElements(By.cssSelector("#class-accuracy canvas")).size() > 0, "per-class chart");
    assertTrue(driver.findElements(By.cssSelector("#model table.grid tbody tr")).size() >= 10, "layer table");
    for (String img : List.of("#architecture img", "#filter-grids img")) {
      for (WebElement e : driver.findElements(By.cssSelector(img))) {
        assertTrue(((Number) js("return arguments[0].naturalWidth;", e)).intValue() > 0, img + " loaded");
      }
    }
    assertEquals(2, driver.findElements(By.cssSelector("#filter-grids img")).size());
    assertEquals(1, driver.findElements(By.cssSelector("#architecture img")).size());
    assertTrue(driver.findElements(By.cssSelector("#class-vector-chart canvas")).size() > 0, "class vectors");
    assertEquals(6, driver.findElements(By.cssSelector("#gallery-cards .gallery-card")).size());
    assertEquals(6, driver.findElements(By.cssSelector("#gallery-cards .gallery-card canvas")).size(), "top-5 bars");
    assertTrue(driver.findElements(By.cssSelector("#attribution-rows canvas[data-method=gradcam]")).size() == 6);
    assertTrue(driver.findElements(By.cssSelector("#attribution-rows canvas[data-method=saliency]")).size() == 6);
    new WebDriverWait(driver, Duration.ofSeconds(10)).until(d -> !blank("occlusion-canvas") && !blank("max-canvas"));
    assertTrue(driver.findElements(By.cssSelector("#max-curves canvas")).size() > 0, "maximisation curves");
    for (String s : SECTIONS) {
      shoot(s, driver.findElement(By.id(s)));
    }

    // The t-SNE scatter zooms with the mouse wheel.
    WebElement tsne = driver.findElement(By.id("scatter-tsne"));
    js("arguments[0].scrollIntoView({block: 'center'});", tsne);
    String zoomBefore = zoom("scatter-tsne");
    new Actions(driver).scrollFromOrigin(WheelInput.ScrollOrigin.fromElement(tsne), 0, -400).perform();
    new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> !zoom("scatter-tsne").equals(zoomBefore));
    js("document.getElementById('reset-zoom').click();");

    // Hovering a point shows its card with the image, label and prediction; clicking pins it.
    @SuppressWarnings("unchecked")
    Map<String, Object> point = (Map<String, Object>) js(
        // the most isolated point on screen, so that the mouse cannot land on a neighbour
        "var c = convlens.charts['scatter-tsne'], series = c.getOption().series, px = [];"
            + "series.forEach(function (s, si) { if (s.name !== 'pinned') s.data.forEach(function (p, di) {"
            + "  px.push({xy: c.convertToPixel({seriesIndex: si}, p), si: si, di: di}); }); });"
            + "var best = null, bestGap = -1;"
            + "px.forEach(function (a) { var gap = Infinity; px.forEach(function (b) { if (a !== b) {"
            + "  gap = Math.min(gap, Math.hypot(a.xy[0] - b.xy[0], a.xy[1] - b.xy[1])); } });"
            + "  if (gap > bestGap) { bestGap = gap; best = a; } });"
            + "var r = c.getDom().getBoundingClientRect();"
            + "return {x: best.xy[0] - r.width / 2, y: best.xy[1] - r.height / 2,"
            + "  id: convlens.pointId(convlens.pointAt('scatter-tsne', best.si, best.di))};");
    new Actions(driver).moveToElement(tsne, ((Number) point.get("x")).intValue(), ((Number) point.get("y")).intValue())
        .perform();
    WebElement card = driver.findElement(By.id("hover-card"));
    new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> card.isDisplayed());
    assertEquals(point.get("id"), card.findElement(By.className("hover-id")).getText());
    assertTrue(card.getText().contains("predicted:"), card.getText());
    Files.write(SHOTS.resolve("hover.png"), driver.getScreenshotAs(OutputType.BYTES));
    new Actions(driver).click().perform();
    new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> !d.findElements(By.cssSelector("#pinned .pin")).isEmpty());
    assertTrue(driver.findElement(By.id("pinned")).getText().contains((String) point.get("id")));

    // The perplexity selector redraws the t-SNE view with that perplexity's coordinates.
    Select perplexity = new Select(driver.findElement(By.id("perplexity")));
    assertEquals(List.of("5", "30", "50"), perplexity.getOptions().stream().map(WebElement::getText).toList());
    assertEquals("30", tsne.getAttribute("data-perplexity"));
    Object before = js("return JSON.stringify(convlens.charts['scatter-tsne'].getOption().series[0].data.slice(0, 5));");
    perplexity.selectByVisibleText("5");
    assertEquals("5", tsne.getAttribute("data-perplexity"));
    Object after = js("return JSON.stringify(convlens.charts['scatter-tsne'].getOption().series[0].data.slice(0, 5));");
    assertNotEquals(before, after);
    assertTrue(driver.findElement(By.id("tsne-title")).getText().contains("perplexity 5"));

    // The patch-size selector redraws the occlusion heat-map; hovering a cell reads its probability.
    WebElement occlusion = driver.findElement(By.id("occlusion-canvas"));
    js("arguments[0].scrollIntoView({block: 'center'});", occlusion);
    Select patch = new Select(driver.findElement(By.id("patch-size")));
    assertEquals(2, patch.getOptions().size());
    String heat4 = pixels("occlusion-canvas");
    patch.selectByIndex(1);
    new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> "8".equals(occlusion.getAttribute("data-window")));
    assertNotEquals(heat4, pixels("occlusion-canvas"));
    String original = pixels("occlusion-original");
    new Actions(driver).moveToElement(occlusion, -60, -60).perform();
    WebElement readout = driver.findElement(By.id("occlusion-readout"));
    new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> readout.getText().startsWith("Patch 8 px"));
    assertTrue(readout.getText().matches("(?s).*p\\(.+\\) = [0-9.]+.*"), readout.getText());
    assertNotEquals(original, pixels("occlusion-original"), "the patch is drawn where the mouse is");

    // The input-maximisation slider shows other snapshots.
    String last = pixels("max-canvas");
    js("var s = document.getElementById('max-step'); s.value = 0; s.dispatchEvent(new Event('input'));");
    assertNotEquals(last, pixels("max-canvas"));
    assertEquals(List.of(), consoleProblems(), "console errors while interacting");
  }

  @Test
  void auditSectionShowsThePlantedShortcut() throws Exception {
    open(DemoOutput.dir().resolve("report/index.html"));
    WebElement audit = driver.findElement(By.id("audit"));
    assertEquals("true", audit.getAttribute("data-rendered"));
    assertEquals("ring", audit.getAttribute("data-flagged"), "the flagged classes, as the audit found them");
    // The findings open the section: one card per planted shortcut, naming its kind, with the
    // lead detector's evidence and each supporting detector's.
    Map<String, String> cards = new java.util.TreeMap<>();
    for (WebElement card : driver.findElements(By.cssSelector("#audit-findings .finding"))) {
      cards.put(card.getAttribute("data-class"), card.getAttribute("data-kind"));
      assertTrue(card.getAttribute("data-detectors").contains(","), "two detectors or more: " + card.getText());
      assertFalse(card.findElements(By.cssSelector(".support")).isEmpty(), card.getText());
      assertFalse(card.findElements(By.cssSelector("canvas, img")).isEmpty(), "evidence drawn: " + card.getText());
    }
    assertEquals(AuditIT.planted(), cards);
    shoot("audit-findings", driver.findElement(By.id("audit-findings")));
    // Where each class looks: one grid per class and one for all images; the method selector redraws them.
    assertEquals(11, driver.findElements(By.cssSelector("#audit-attention canvas")).size());
    WebElement ring = driver.findElement(By.cssSelector("#audit-attention canvas[data-class=ring]"));
    String ringBefore = (String) js("return arguments[0].toDataURL();", ring);
    Select method = new Select(driver.findElement(By.id("audit-method")));
    // The titles, each followed by its sanity mark when the method failed a check.
    List<String> titles = List.of("saliency", "Grad-CAM", "CAM", "occlusion");
    List<String> options = method.getOptions().stream().map(WebElement::getText).toList();
    assertEquals(titles.size(), options.size(), options.toString());
    for (int i = 0; i < titles.size(); i++) {
      assertTrue(options.get(i).equals(titles.get(i)) || options.get(i).startsWith(titles.get(i) + " ⚠ fails sanity check: "),
          options.get(i));
    }
    method.selectByIndex(3);
    assertEquals("occlusion", driver.findElement(By.id("audit-attention")).getAttribute("data-method"));
    WebElement ringAfter = driver.findElement(By.cssSelector("#audit-attention canvas[data-class=ring]"));
    assertNotEquals(ringBefore, js("return arguments[0].toDataURL();", ringAfter));
    new Select(driver.findElement(By.id("audit-scope"))).selectByValue("predicted");
    assertEquals("predicted", driver.findElement(By.id("audit-attention")).getAttribute("data-scope"));
    // Shortcut table, examples and suspects; mistakes; quality charts.
    assertTrue(driver.findElements(By.cssSelector("#audit-shortcuts tr.flagged")).size() >= 2, "flagged rows");
    assertTrue(driver.findElements(By.cssSelector("[data-suspects='4'] canvas")).size() >= 10, "suspect images");
    assertTrue(driver.findElements(By.cssSelector("#audit-confusion canvas")).size() > 0, "confusion matrix");
    assertTrue(driver.findElements(By.cssSelector("#audit-classes canvas")).size() > 0, "accuracy and entropy");
    assertEquals(24, driver.findElements(By.cssSelector("#audit-mistakes canvas")).size(), "confident mistakes");
    assertTrue(driver.findElements(By.cssSelector("#audit-label-issues canvas")).size() > 0, "label issues");
    assertTrue(driver.findElements(By.cssSelector("#audit-randomization canvas")).size() > 0, "randomisation chart");
    assertTrue(driver.findElements(By.cssSelector("#audit-faithfulness canvas")).size() > 0, "deletion/insertion chart");
    assertEquals(5, driver.findElements(By.cssSelector("#audit-quality-table tr")).size() - 1, "4 methods + random");
    // Ranked by the sanity verdicts, as audit.json ranks them; rank, method, verdict, then every
    // figure with its 95% interval, "0.13 [0.05, 0.21]"; random (last) has no rank and no cascade.
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> sanity = (List<Map<String, Object>>) js(
        "return window.convlens.data.audit.quality.sanity;");
    assertEquals(4, sanity.size());
    List<String> ranking = new java.util.ArrayList<>(sanity.stream().map(v -> (String) v.get("method")).toList());
    ranking.add("random");
    assertEquals(String.join(",", ranking),
        driver.findElement(By.cssSelector("#audit-quality-table table")).getAttribute("data-ranking"));
    int row = 0;
    for (WebElement tr : driver.findElements(By.cssSelector("#audit-quality-table tr"))) {
      List<WebElement> cells = tr.findElements(By.tagName("td"));
      if (cells.isEmpty()) {
        continue;
      }
      boolean random = row == sanity.size();
      if (!random) {
        Map<String, Object> v = sanity.get(row);
        assertEquals(String.valueOf(row + 1), cells.get(0).getText());
        boolean fails = "fail".equals(v.get("verdict"));
        assertEquals(fails, cells.get(2).getText().startsWith("fails: "), cells.get(2).getText());
        assertEquals(fails, "flagged".equals(tr.getAttribute("class")), "a failing method's row is marked");
      }
      row++;
      for (int i = 3; i < cells.size(); i++) {
        String text = cells.get(i).getText();
        assertTrue(random && i < 5 ? text.equals("—")
            : text.matches("-?\\d\\.\\d+ \\[-?\\d\\.\\d+, -?\\d\\.\\d+\\]"), cells.get(1).getText() + ": " + text);
      }
    }
    // Every attention grid of a failing method carries the mark, and no other does.
    for (Map<String, Object> v : sanity) {
      new Select(driver.findElement(By.id("audit-method"))).selectByValue((String) v.get("method"));
      List<WebElement> captions = driver.findElements(By.cssSelector("#audit-attention [data-sanity]"));
      assertEquals(11, captions.size(), "every grid's caption carries the method's verdict");
      for (WebElement c : captions) {
        assertEquals(v.get("verdict"), c.getAttribute("data-sanity"));
        assertEquals("fail".equals(v.get("verdict")), c.getText().contains("⚠ fails sanity check: "), c.getText());
      }
    }
    // So does every overlaid map of the gallery (the attribution section draws the first class's images).
    for (WebElement c : driver.findElements(By.cssSelector("#attribution-rows [data-sanity]"))) {
      assertEquals("fail".equals(c.getAttribute("data-sanity")), c.getText().contains("⚠ fails sanity check: "),
          c.getText());
    }
    assertEquals(6 * 3, driver.findElements(By.cssSelector("#attribution-rows [data-sanity]")).size(),
        "saliency, Grad-CAM and CAM maps of six images, each with its method's verdict");
    shoot("audit", audit);
    shoot("audit-shortcut-images", driver.findElement(By.id("audit-shortcut-images")));
    shoot("audit-attention", driver.findElement(By.id("audit-attention")));
    shoot("audit-confusion", driver.findElement(By.id("audit-confusion")));
    shoot("audit-quality", driver.findElement(By.id("audit-randomization")).findElement(By.xpath("../..")));
    assertEquals(List.of(), consoleProblems(), "console errors in the audit section");
  }

  @Test
  void hostileNamesCannotInjectMarkupOrScript(@TempDir Path dir) throws Exception {
    // A manifest whose labels are markup and whose paths run through folders named like markup.
    Path images = dir.resolve("data");
    Path evilDir = images.resolve("<");
    Files.createDirectories(evilDir);
    Path sample = ConvLensHome.sampleData().resolve("odd-images/valid_tiny.bmp");
    String[] names = {"script><img src=x onerror=window.__pwned=1>.bmp", "b'><svg onload=window.__pwned=2>.bmp"};
    for (String n : names) {
      Files.copy(sample, evilDir.resolve(n));
    }
    Files.writeString(evilDir.resolve("x<script>window.__pwned=3<.png"), "not an image");
    String label1 = "</script><script>window.__pwned=4</script>";
    String label2 = "<img src=x onerror=window.__pwned=5>";
    Files.writeString(images.resolve("manifest.csv"), "path,label\n"
        + "</" + names[0] + "," + label1 + "\n"
        + "</" + names[1] + "," + label2 + "\n"
        + "</x<script>window.__pwned=3<.png," + label1 + "\n");
    Path out = dir.resolve("out");
    CliRun analyze = CliRun.of("analyze", "--input", images.resolve("manifest.csv").toString(), "--format", "manifest",
        "--out", out.toString(), "--master", "local[1]", "--set", "analyze.methods=[saliency]");
    assertEquals(0, analyze.code(), analyze.err());
    // The audit too: ids with markup reach its galleries, labels it cannot match leave no true class.
    CliRun audit = CliRun.of("audit", "--out", out.toString(), "--master", "local[1]");
    assertEquals(0, audit.code(), audit.err());
    CliRun report = CliRun.of("report", "--out", out.toString(), "--master", "local[1]",
        "--set", "report.title=\"<script>window.__pwned=6</script>\"");
    assertEquals(0, report.code(), report.err());
    Path html = out.resolve("report/index.html");
    String page = Files.readString(html);
    assertFalse(page.contains("<img src=x"), "raw markup from a label");
    assertFalse(page.contains("<script>window.__pwned"), "raw script from a name");
    assertTrue(page.contains("&lt;script&gt;window.__pwned=6&lt;/script&gt;"), "title escaped by the template");

    open(html);
    assertEquals(null, js("return window.__pwned;"));
    assertEquals(0L, js("return document.querySelectorAll('img[src=x], svg[onload], script:not([type])').length - 2;"),
        "exactly the two inline scripts, no injected elements");
    String text = (String) js("return document.body.innerText;");
    assertTrue(text.contains(label1), "a hostile label shows as text");
    assertTrue(text.contains("x<script>window.__pwned=3<.png"), "a hostile file name shows as text in the errors table");
    assertTrue(driver.getTitle().contains("<script>window.__pwned=6</script>"));
    assertEquals(List.of(), consoleProblems(), "console errors (a CSP violation would be one)");
    assertEquals("true", driver.findElement(By.id("audit")).getAttribute("data-rendered"));
    shoot("hostile-run", driver.findElement(By.id("run")));
    shoot("hostile-audit", driver.findElement(By.id("audit")));
  }

  /**
   * 50,000 points stay interactive: the demo report with its scatter data replaced by 50k points
   * (the demo's coordinates repeated with a small seeded jitter, 13 sprite sheets of random
   * thumbnails). The charts switch to ECharts' large mode; hovering still finds the point under
   * the mouse, zoom and the perplexity selector still work. Timings are printed (and written to
   * target/report-screenshots/scale-50k.txt), not asserted.
   */
  @Test
  void fiftyThousandPointsStayInteractive(@TempDir Path dir) throws Exception {
    int n = 50_000;
    Path demo = DemoOutput.dir().resolve("report/index.html");
    String page = Files.readString(demo);
    String open = "<script type=\"application/json\" id=\"convlens-data\">";
    int from = page.indexOf(open) + open.length();
    int to = page.indexOf("</script>", from);
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode data =
        (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(page.substring(from, to));
    com.fasterxml.jackson.databind.node.ObjectNode e = (com.fasterxml.jackson.databind.node.ObjectNode) data.get("embedding");
    int m = e.get("n").asInt();
    java.util.Random random = new java.util.Random(7);
    for (com.fasterxml.jackson.databind.JsonNode v : e.get("views")) {
      for (String axis : List.of("x", "y")) {
        com.fasterxml.jackson.databind.node.ArrayNode src = (com.fasterxml.jackson.databind.node.ArrayNode) v.get(axis);
        com.fasterxml.jackson.databind.node.ArrayNode dst = json.createArrayNode();
        double spread = 0.02 * (max(src) - min(src));
        for (int i = 0; i < n; i++) {
          dst.add((float) (src.get(i % m).asDouble() + spread * random.nextGaussian()));
        }
        ((com.fasterxml.jackson.databind.node.ObjectNode) v).set(axis, dst);
      }
    }
    com.fasterxml.jackson.databind.node.ObjectNode points = (com.fasterxml.jackson.databind.node.ObjectNode) e.get("points");
    for (String field : List.of("id", "label", "predicted", "correct", "prob")) {
      com.fasterxml.jackson.databind.node.ArrayNode src = (com.fasterxml.jackson.databind.node.ArrayNode) points.get(field);
      com.fasterxml.jackson.databind.node.ArrayNode dst = json.createArrayNode();
      for (int i = 0; i < n; i++) {
        dst.add(field.equals("id") ? json.getNodeFactory().textNode("copy-" + i + "-" + src.get(i % m).asText())
            : src.get(i % m));
      }
      points.set(field, dst);
    }
    byte[][] thumbs = new byte[n][];
    for (int i = 0; i < n; i++) {
      thumbs[i] = new byte[3 * 32 * 32];
      java.util.Arrays.fill(thumbs[i], (byte) (i * 37));
    }
    org.convlens.report.SpriteAtlas atlas = org.convlens.report.SpriteAtlas.pack(thumbs, 32);
    ((com.fasterxml.jackson.databind.node.ObjectNode) e.get("atlas")).set("images", json.valueToTree(atlas.images()));
    e.put("n", n);
    e.put("available", n);
    Path html = dir.resolve("scale.html");
    Files.writeString(html, page.substring(0, from) + org.convlens.report.HtmlReport.safeJson(data) + page.substring(to));

    List<String> timings = new ArrayList<>();
    timings.add(String.format(java.util.Locale.ROOT, "report with %,d points: %.1f MB", n, Files.size(html) / 1e6));
    long t0 = System.nanoTime();
    open(html);
    timings.add(String.format(java.util.Locale.ROOT, "load until every section is drawn: %.2f s", (System.nanoTime() - t0) / 1e9));
    assertEquals(List.of(), consoleProblems(), "console errors at 50k points");
    assertEquals(Boolean.TRUE, js("return convlens.charts['scatter-tsne'].getOption().series[0].large;"));
    WebElement tsne = driver.findElement(By.id("scatter-tsne"));
    js("arguments[0].scrollIntoView({block: 'center'});", tsne);

    // Hover: the card shows a point drawn within a few pixels of the mouse.
    @SuppressWarnings("unchecked")
    Map<String, Object> target = (Map<String, Object>) js(
        "var c = convlens.charts['scatter-tsne'], s = c.getOption().series[0], p = s.data[s.data.length - 1];"
            + "var xy = c.convertToPixel({seriesIndex: 0}, p), r = c.getDom().getBoundingClientRect();"
            + "return {x: xy[0] - r.width / 2, y: xy[1] - r.height / 2, px: xy[0], py: xy[1]};");
    long t1 = System.nanoTime();
    new Actions(driver).moveToElement(tsne, ((Number) target.get("x")).intValue(), ((Number) target.get("y")).intValue())
        .perform();
    WebElement card = driver.findElement(By.id("hover-card"));
    new WebDriverWait(driver, Duration.ofSeconds(10)).until(d -> card.isDisplayed());
    timings.add(String.format(java.util.Locale.ROOT, "hover until the card shows: %.0f ms", (System.nanoTime() - t1) / 1e6));
    Number shown = (Number) js("var i = +document.getElementById('hover-card').getAttribute('data-point'),"
        + " c = convlens.charts['scatter-tsne'], v = convlens.data.embedding.views.filter(function (w) {"
        + " return w.perplexity === 30; })[0], xy = c.convertToPixel({seriesIndex: 0}, [v.x[i], v.y[i]]);"
        + " return Math.hypot(xy[0] - arguments[0], xy[1] - arguments[1]);", target.get("px"), target.get("py"));
    assertTrue(shown.doubleValue() < 6, "the hovered point is " + shown + " px from the mouse");

    String zoomBefore = zoom("scatter-tsne");
    long t2 = System.nanoTime();
    new Actions(driver).scrollFromOrigin(WheelInput.ScrollOrigin.fromElement(tsne), 0, -400).perform();
    new WebDriverWait(driver, Duration.ofSeconds(10)).until(d -> !zoom("scatter-tsne").equals(zoomBefore));
    js("return convlens.charts['scatter-tsne'].getOption();");
    timings.add(String.format(java.util.Locale.ROOT, "wheel zoom until the new range is set: %.0f ms", (System.nanoTime() - t2) / 1e6));

    long t3 = System.nanoTime();
    new Select(driver.findElement(By.id("perplexity"))).selectByVisibleText("50");
    assertEquals("50", tsne.getAttribute("data-perplexity"));
    timings.add(String.format(java.util.Locale.ROOT, "perplexity switch (50k points redrawn): %.0f ms", (System.nanoTime() - t3) / 1e6));
    Files.write(SHOTS.resolve("scale-50k.png"), driver.getScreenshotAs(OutputType.BYTES));
    Files.write(SHOTS.resolve("scale-50k.txt"), timings);
    timings.forEach(System.out::println);
    assertEquals(List.of(), consoleProblems(), "console errors while interacting at 50k points");
  }

  private static double max(com.fasterxml.jackson.databind.JsonNode a) {
    double m = Double.NEGATIVE_INFINITY;
    for (com.fasterxml.jackson.databind.JsonNode v : a) {
      m = Math.max(m, v.asDouble());
    }
    return m;
  }

  private static double min(com.fasterxml.jackson.databind.JsonNode a) {
    double m = Double.POSITIVE_INFINITY;
    for (com.fasterxml.jackson.databind.JsonNode v : a) {
      m = Math.min(m, v.asDouble());
    }
    return m;
  }

  private static String zoom(String chart) {
    return String.valueOf(js("var z = convlens.charts[arguments[0]].getOption().dataZoom;"
        + "return z.map(function (d) { return d.start + ':' + d.end; }).join(',');", chart));
  }

}
