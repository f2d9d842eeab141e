package org.convlens.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.loader.ClasspathLoader;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.convlens.attribution.Attributions;

/**
 * Renders the report: one Pebble template with autoescaping on (every value the template prints
 * is HTML-escaped unless the template marks it {@code raw}), the data serialised once as JSON
 * into a non-executable {@code <script type="application/json">} block, and the stylesheet, Apache
 * ECharts and the report's own script inlined from the classpath (as pytest-html's
 * self-contained report and JaCoCo's HTML report do). A Content-Security-Policy in the page
 * allows exactly those inline scripts and that stylesheet (by SHA-256), images from {@code data:}
 * and {@code blob:} URIs only, and nothing from the network, so a dataset-controlled string that
 * somehow became markup could still not run.
 */
public final class HtmlReport {
  static final String RESOURCES = "org/convlens/report/";
  private static final String ECHARTS_POM = "META-INF/maven/org.webjars/echarts/pom.properties";

  private static final ObjectMapper JSON =
      new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private HtmlReport() {}

  /** The bundled ECharts version (from the webjar). */
  public static String echartsVersion() {
    Properties p = new Properties();
    try (InputStream in = resource(ECHARTS_POM)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  /**
   * The HTML page.
   *
   * @param page values the template prints (escaped), e.g. the title and run summary
   * @param data everything the page's script draws, serialised to JSON
   */
  public static String render(Map<String, Object> page, Object data) {
    String css = text(RESOURCES + "report.css");
    String version = echartsVersion();
    String echarts = text("META-INF/resources/webjars/echarts/" + version + "/echarts.min.js");
    String app = text(RESOURCES + "report.js");
    checkInline("script", echarts, "ECharts");
    checkInline("script", app, "report.js");
    checkInline("style", css, "report.css");
    String json = safeJson(data);

    Map<String, Object> ctx = new LinkedHashMap<>(page);
    ctx.put("css", css);
    ctx.put("echarts", echarts);
    ctx.put("app", app);
    ctx.put("data_json", json);
    ctx.put("echarts_version", version);
    ctx.put("csp", contentSecurityPolicy(List.of(echarts, app), List.of(css)));
    // The perturbation-grid method's section: its anchor and element ids are the method's name,
    // its heading the method's title, so that the template names no method.
    String gridName = Attributions.perturbationGrid().name();
    String gridTitle = Attributions.perturbationGrid().title();
    ctx.put("grid_name", gridName);
    ctx.put("grid_heading", gridTitle.substring(0, 1).toUpperCase(Locale.ROOT) + gridTitle.substring(1));

    PebbleEngine engine = new PebbleEngine.Builder()
        .loader(new ClasspathLoader())
        .autoEscaping(true)
        .defaultEscapingStrategy("html")
        .strictVariables(true)
        .newLineTrimming(false)
        .cacheActive(false)
        .build();
    PebbleTemplate template = engine.getTemplate(RESOURCES + "report.html.peb");
    StringWriter out = new StringWriter();
    try {
      template.evaluate(out, ctx, Locale.ROOT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * The policy: no default source; scripts and styles only the inline ones with these hashes;
   * images from data: and blob: URIs; no connections, frames, forms, plugins or base URL.
   */
  static String contentSecurityPolicy(List<String> scripts, List<String> styles) {
    StringBuilder p = new StringBuilder("default-src 'none'; script-src");
    for (String s : scripts) {
      p.append(" 'sha256-").append(sha256(s)).append('\'');
    }
    p.append("; style-src");
    for (String s : styles) {
      p.append(" 'sha256-").append(sha256(s)).append('\'');
    }
    p.append("; img-src data: blob:; font-src 'none'; connect-src 'none'; media-src 'none';"
        + " object-src 'none'; frame-src 'none'; worker-src 'none'; base-uri 'none'; form-action 'none'");
    return p.toString();
  }

  /**
   * JSON that can sit inside a {@code <script>} element: {@code <}, {@code >} and {@code &} (which
   * can only occur inside JSON strings) become {@code \\u003c} etc., so no data value can close
   * the element or open a comment; U+2028/2029 are escaped for old JavaScript parsers.
   */
  public static String safeJson(Object data) {
    String s;
    try {
      s = JSON.writeValueAsString(data);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("report data is not serialisable: " + e.getMessage(), e);
    }
    StringBuilder b = new StringBuilder(s.length() + 64);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("\\u003c");
        case '>' -> b.append("\\u003e");
        case '&' -> b.append("\\u0026");
        case '\u2028' -> b.append("\\u2028");
        case '\u2029' -> b.append("\\u2029");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** An inlined asset must not be able to end its own element early. */
  static void checkInline(String element, String content, String what) {
    if (content.toLowerCase(Locale.ROOT).contains("</" + element)) {
      throw new IllegalStateException(what + " contains '</" + element + "' and cannot be inlined");
    }
  }

  static String sha256(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String text(String name) {
    try (InputStream in = resource(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InputStream resource(String name) {
    InputStream in = HtmlReport.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException("missing classpath resource " + name + " (a broken build?)");
    }
    return in;
  }
}
