package org.convlens.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No main or test code calls a constructor with more than 5 positional arguments (issue 18): with
 * that many, an argument slips into the wrong slot unseen. Callers use the type's builder, {@code
 * defaults().with(...)}, a static factory or a nested record instead. Scans the Java sources of
 * every module for {@code new X(} of any type; the one place such a call may stand is inside the
 * declaration of {@code X} itself (its builder, factory or with-copy).
 */
class NoLongConstructorCallsTest {
  private static final int MAX_ARGUMENTS = 5;

  /**
   * Library types whose constructors cannot be avoided: Hadoop's {@code FileStatus} has no builder
   * and no shorter constructor that sets a length.
   */
  private static final Set<String> LIBRARY_TYPES = Set.of("FileStatus");

  private static final Pattern NEW = Pattern.compile(
      "\\bnew\\s+((?:[A-Za-z_]\\w*\\s*\\.\\s*)*[A-Za-z_]\\w*)\\s*(?:<[^;(){}]*?>)?\\s*\\(");

  @Test
  void noConstructorIsCalledWithManyPositionalArguments() throws IOException {
    List<String> offences = new ArrayList<>();
    int files = 0;
    for (String module : List.of("common", "jobs", "bench")) {
      Path src = Path.of("..", module, "src");
      if (!Files.isDirectory(src)) {
        continue;
      }
      try (Stream<Path> paths = Files.walk(src)) {
        for (Path f : paths.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
          files++;
          offences.addAll(offences(f.toString(), Files.readString(f, StandardCharsets.UTF_8)));
        }
      }
    }
    assertTrue(files > 100, "scanned the sources (run from the common module): " + files);
    assertEquals(List.of(), offences, offences.size() + " constructor calls with more than " + MAX_ARGUMENTS
        + " arguments: give the type a builder (or a factory) and call that");
  }

  @Test
  void theScanFindsLongCallsOutsideTheirType() {
    String src = String.join("\n",
        "class Outer {",
        "  record Point(int a, int b, int c, int d, int e, int f) {",
        "    Point withA(int a) { return new Point(a, b, c, d, e, f); }",
        "  }",
        "  Point p = new Point(1, 2, 3, 4, 5, 6);",
        "  Object q = new Outer.Point(1, 2, 3, 4, 5,",
        "      6);",
        "  Object r = new Box<>(1, 2, 3, 4, 5, 6);",
        "  Object s = new Box(1, g(2, 3), \"a, b\", /* c, d */ 4, 5);",
        "  Object t = new Box(() -> { h(1, 2, 3, 4, 5, 6); });",
        "}");
    assertEquals(List.of("F.java:5 new Point (6 arguments)", "F.java:6 new Outer.Point (6 arguments)",
        "F.java:8 new Box (6 arguments)"), offences("F.java", src));
    assertEquals(List.of(), offences("F.java", "class A { B b = new B(1, 2, 3, 4, 5); }"));
    assertEquals(List.of(), offences("F.java", "class A { Object s = new FileStatus(1, false, 1, 0, 0, p); }"));
  }

  @Test
  void theScanCountsArguments() {
    String code = blankCommentsAndStrings("x = new A(1, f(2, 3), \"a, b\", List.of(4, 5), () -> { g(6, 7); }, 8);");
    assertEquals(6, arguments(code, code.indexOf('(') + 1));
    assertEquals(0, arguments("new A()", 6));
  }

  /** {@code file:line new X (n arguments)} for each long call in {@code source} outside X's own declaration. */
  static List<String> offences(String file, String source) {
    String code = blankCommentsAndStrings(source);
    List<String> out = new ArrayList<>();
    Matcher m = NEW.matcher(code);
    while (m.find()) {
      int n = arguments(code, m.end());
      String type = m.group(1).replaceAll("\\s", "");
      String simple = type.substring(type.lastIndexOf('.') + 1);
      if (n > MAX_ARGUMENTS && !LIBRARY_TYPES.contains(simple) && !insideDeclaration(code, simple, m.start())) {
        int line = (int) code.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
        out.add(file + ":" + line + " new " + type + " (" + n + " arguments)");
      }
    }
    return out;
  }

  /** Whether {@code at} lies in the body of a class, record, enum or interface named {@code simple}. */
  private static boolean insideDeclaration(String code, String simple, int at) {
    Matcher d = Pattern.compile("\\b(class|record|enum|interface)\\s+" + simple + "\\b").matcher(code);
    while (d.find()) {
      int from = d.end();
      if (d.group(1).equals("record")) {
        // The components' parentheses come before the body's brace.
        int open = code.indexOf('(', from);
        from = open < 0 ? from : open + 1 + closing(code, open + 1);
      }
      int body = code.indexOf('{', from);
      if (body >= 0 && body < at && at < body + 1 + closing(code, body + 1)) {
        return true;
      }
    }
    return false;
  }

  /** Offset, from {@code from}, of the bracket closing the one just before {@code from}. */
  private static int closing(String code, int from) {
    int depth = 1;
    for (int i = from; i < code.length(); i++) {
      char c = code.charAt(i);
      depth += c == '(' || c == '[' || c == '{' ? 1 : c == ')' || c == ']' || c == '}' ? -1 : 0;
      if (depth == 0) {
        return i - from;
      }
    }
    return code.length() - from;
  }

  /** Top-level arguments of the call whose '(' ends just before {@code from}. */
  static int arguments(String code, int from) {
    int depth = 1;
    int commas = 0;
    boolean empty = true;
    for (int i = from; i < code.length() && depth > 0; i++) {
      char c = code.charAt(i);
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (c == ',' && depth == 1) {
        commas++;
      }
      if (depth > 0 && !Character.isWhitespace(c)) {
        empty = false;
      }
    }
    return empty ? 0 : commas + 1;
  }

  /** Comments and the contents of string and char literals as spaces, so their commas do not count. */
  static String blankCommentsAndStrings(String src) {
    StringBuilder out = new StringBuilder(src.length());
    int i = 0;
    while (i < src.length()) {
      char c = src.charAt(i);
      if (src.startsWith("//", i)) {
        int j = src.indexOf('\n', i);
        j = j < 0 ? src.length() : j;
        out.append(" ".repeat(j - i));
        i = j;
      } else if (src.startsWith("/*", i) || src.startsWith("\"\"\"", i)) {
        String end = src.startsWith("/*", i) ? "*/" : "\"\"\"";
        int j = src.indexOf(end, i + end.length());
        j = j < 0 ? src.length() : j + end.length();
        out.append(src.substring(i, j).replaceAll("[^\n]", " "));
        i = j;
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < src.length() && src.charAt(j) != c) {
          j += src.charAt(j) == '\\' ? 2 : 1;
        }
        out.append(c).append(" ".repeat(Math.max(0, Math.min(j, src.length()) - i - 1))).append(c);
        i = j + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }
}
