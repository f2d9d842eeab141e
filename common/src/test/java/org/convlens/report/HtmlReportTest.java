package org.convlens.report;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The report page against injection: dataset-controlled strings in the page values and in the
 * JSON data must stay text, and the Content-Security-Policy must allow exactly the inline
 * script and style elements the page carries.
 */
class HtmlReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String CLOSE_SCRIPT = "</script><script>alert(1)</script>";
  private static final String IMG = "<img src=x onerror=alert(2)>";
  private static final String COMMENT = "<!--";
  private static final String MIXED = "\"'>&amp; <b>x</b> \u2028 \u2029";

  private static String html;
  private static Map<String, Object> data;

  @BeforeAll
  static void render() {
    AnalysisSample.Stats stats = AnalysisSample.Stats.builder()
        .total(3)
        .ok(2)
        .errors(1)
        .labelled(2)
        .correct(1)
        .errorsByKind(List.of(new AnalysisSample.ErrorKindCount(IMG, 1,
            List.of(new AnalysisSample.ErrorExample(CLOSE_SCRIPT, CLOSE_SCRIPT + " " + IMG)))))
        .classes(List.of(new AnalysisSample.ClassStat(IMG, 2, 2, 1, 2),
            new AnalysisSample.ClassStat(CLOSE_SCRIPT, 0, 0, 0, 1)))
        .datasets(Map.of(IMG, 3L))
        .runIds(Map.of("run", 3L))
        .modelIds(Map.of(CLOSE_SCRIPT, 3L))
        .build();
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("title", CLOSE_SCRIPT);
    page.put("generated_at", IMG);
    page.put("model_id", IMG);
    page.put("analysis_path", CLOSE_SCRIPT + COMMENT);
    page.put("stats", stats);
    page.put("accuracy", MIXED);
    page.put("other_models", List.of(IMG + " (3 rows)"));
    page.put("settings", Map.of("report.title", CLOSE_SCRIPT));
    page.put("run_settings", Map.of(IMG, MIXED));
    page.put("datasets", List.of(Map.of("name", IMG, "format", COMMENT, "path", CLOSE_SCRIPT, "classes", "2")));
    page.put("layers", List.of());
    page.put("model", Map.of());

    data = new LinkedHashMap<>();
    data.put("title", CLOSE_SCRIPT);
    data.put("classes", List.of(IMG, COMMENT, MIXED));
    data.put("nested", Map.of(CLOSE_SCRIPT, List.of(MIXED, "plain")));
    html = HtmlReport.render(page, data);
  }

  @Test
  void safeJsonEscapesMarkupCharactersAndRoundTrips() throws Exception {
    List<String> hostile = List.of(CLOSE_SCRIPT, COMMENT, "a & b", "line\u2028para\u2029end", MIXED);
    String json = HtmlReport.safeJson(Map.of("v", hostile, CLOSE_SCRIPT, 1));

    for (String raw : List.of("<", ">", "&", "\u2028", "\u2029")) {
      assertFalse(json.contains(raw), "raw " + raw + " in " + json);
    }
    assertTrue(json.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"), json);
    assertTrue(json.contains("\\u003c!--"), json);
    assertTrue(json.contains("a \\u0026 b"), json);
    assertTrue(json.contains("line\\u2028para\\u2029end"), json);

    Map<String, Object> back = JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
    assertEquals(hostile, back.get("v"));
    assertEquals(1, back.get(CLOSE_SCRIPT));
  }

  @Test
  void safeJsonRejectsUnserialisableData() {
    Object cyclic = new Object() {
      @SuppressWarnings("unused")
      public Object getSelf() {
        return this;
      }
    };
    assertThrows(IllegalStateException.class, () -> HtmlReport.safeJson(cyclic));
  }

  @Test
  void exactlyThreeScriptElementsAndNoInjectedMarkup() {
    String lower = html.toLowerCase(Locale.ROOT);
    assertEquals(3, count(lower, "<script"), "script openings");
    assertEquals(3, count(lower, "</script"), "script closings");
    assertFalse(html.contains("<img src=x"), "raw <img> injected");
    assertFalse(lower.contains("<script>alert"), "raw <script> injected");
    assertFalse(html.contains("<b>x</b>"), "raw <b> injected");
    // Only the template's own comment-free markup: an injected "<!--" would swallow the page.
    assertFalse(html.contains("<!--"), "raw comment opening");
    assertFalse(lower.contains("<link"), "external stylesheet");
    assertFalse(Pattern.compile("<script[^>]*\\ssrc=", Pattern.CASE_INSENSITIVE).matcher(html).find(),
        "external script");
  }

  @Test
  void pageValuesAppearHtmlEscaped() {
    String escapedClose = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;";
    String escapedImg = "&lt;img src=x onerror=alert(2)&gt;";
    assertTrue(html.contains("<title>" + escapedClose + "</title>"), "title");
    assertTrue(html.contains("<h1>" + escapedClose + "</h1>"), "heading");
    assertTrue(html.contains("model <code>" + escapedImg + "</code>"), "model id");
    assertTrue(html.contains("<code>" + escapedClose + "&lt;!--</code>"), "analysis path");
    // Stats record: error kind, example id and message, class names, datasets.
    assertTrue(html.contains("<tr><td>" + escapedImg + "</td><td class=\"num\">1</td>"), "error kind");
    assertTrue(html.contains("<div><code>" + escapedClose + "</code>: " + escapedClose + " " + escapedImg
        + "</div>"), "error example");
    assertTrue(html.contains("<tr><td>" + escapedImg + "</td><td class=\"num\">2</td>"), "class row");
    assertTrue(html.contains("<tr><td>" + escapedClose + "</td><td class=\"num\">0</td>"), "class row 2");
    assertTrue(html.contains("50.0%"), "accuracy of the first class");
    assertTrue(html.contains("&lt;b&gt;x&lt;/b&gt;"), "accuracy text");
    assertTrue(html.contains(escapedImg + " (3 rows)"), "other models");
  }

  @Test
  void dataBlockIsInertAndParsesBackToTheData() throws Exception {
    String open = "<script type=\"application/json\" id=\"convlens-data\">";
    int start = html.indexOf(open);
    assertTrue(start >= 0, "no data block");
    int from = start + open.length();
    String block = html.substring(from, html.indexOf("</script>", from));
    assertFalse(block.contains("<"), "'<' inside the JSON block");
    assertFalse(block.contains("&"), "'&' inside the JSON block");
    assertEquals(JSON.valueToTree(data), JSON.readTree(block));
  }

  @Test
  void cspAllowsExactlyTheInlineScriptsAndStyle() throws Exception {
    Matcher meta = Pattern.compile("<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\">")
        .matcher(html);
    assertTrue(meta.find(), "no CSP meta");
    String csp = unescapeHtml(meta.group(1));
    assertFalse(meta.find(), "two CSP metas");
    assertTrue(csp.startsWith("default-src 'none';"), csp);
    assertFalse(csp.contains("unsafe-inline"), csp);
    assertFalse(csp.contains("unsafe-eval"), csp);
    assertFalse(csp.contains("unsafe-hashes"), csp);
    assertFalse(csp.contains("*"), csp);
    Map<String, Set<String>> directives = new LinkedHashMap<>();
    for (String d : csp.split(";")) {
      List<String> tokens = new ArrayList<>(Arrays.asList(d.strip().split("\\s+")));
      String name = tokens.remove(0);
      assertTrue(directives.put(name, new HashSet<>(tokens)) == null, "repeated directive " + name);
    }
    assertEquals(Set.of("data:", "blob:"), directives.get("img-src"));
    assertEquals(Set.of("'none'"), directives.get("connect-src"));
    assertEquals(Set.of("'none'"), directives.get("base-uri"));

    Set<String> scriptHashes = new HashSet<>();
    Set<String> styleHashes = new HashSet<>();
    List<String[]> inline = inlineElements(html);
    int executable = 0;
    for (String[] e : inline) {
      String tag = e[0];
      String hash = "'sha256-" + sha256(e[1]) + "'";
      if (tag.startsWith("<style")) {
        styleHashes.add(hash);
      } else if (!tag.contains("application/json")) {
        scriptHashes.add(hash);
        executable++;
      }
    }
    assertEquals(2, executable, "ECharts and report.js");
    assertEquals(1, styleHashes.size());
    assertEquals(scriptHashes, directives.get("script-src"));
    assertEquals(styleHashes, directives.get("style-src"));
  }

  @Test
  void sha256IsBase64OfTheUtf8Digest() throws Exception {
    assertEquals("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", HtmlReport.sha256(""));
    assertEquals(sha256("é \u2028 x"), HtmlReport.sha256("é \u2028 x"));
  }

  @Test
  void inlineAssetsThatCouldCloseTheirElementAreRefused() {
    assertThrows(IllegalStateException.class,
        () -> HtmlReport.checkInline("script", "var a = '</SCRIPT >';", "x.js"));
    assertThrows(IllegalStateException.class, () -> HtmlReport.checkInline("style", "a{}</style", "x.css"));
    assertDoesNotThrow(() -> HtmlReport.checkInline("script", "var a = '<\\/script>';", "x.js"));
  }

  @Test
  void bundledEchartsVersionIsPrintedInThePage() {
    String v = HtmlReport.echartsVersion();
    assertNotNull(v);
    assertTrue(v.matches("\\d+\\.\\d+\\.\\d+.*"), v);
    assertTrue(html.contains("Apache ECharts " + v), "generator/footer");
  }

  /** Opening tag and content of every {@code <script>} and {@code <style>} element, in order. */
  private static List<String[]> inlineElements(String page) {
    List<String[]> out = new ArrayList<>();
    Matcher m = Pattern.compile("<(script|style)\\b[^>]*>").matcher(page);
    int from = 0;
    while (m.find(from)) {
      String close = "</" + m.group(1) + ">";
      int end = page.indexOf(close, m.end());
      assertTrue(end >= 0, "unclosed " + m.group());
      out.add(new String[] {m.group(), page.substring(m.end(), end)});
      from = end + close.length();
    }
    return out;
  }

  private static String unescapeHtml(String s) {
    return s.replace("&#39;", "'").replace("&#x27;", "'").replace("&#039;", "'").replace("&quot;", "\"")
        .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
  }

  private static String sha256(String s) throws Exception {
    return Base64.getEncoder().encodeToString(
        MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  private static int count(String haystack, String needle) {
    int n = 0;
    for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
