package org.convlens.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.convlens.audit.ShortcutDetector;
import org.convlens.audit.ShortcutDetectors;
import org.convlens.config.SettingPart;
import org.convlens.config.SettingsSpec;
import org.junit.jupiter.api.Test;

/**
 * No main or test code builds a settings record with more than 5 positional arguments: callers
 * use {@code X.defaults().with(KEY, value)} or {@code X.from(config)}, so an argument cannot slip
 * into the wrong slot. Scans the Java sources of every module for {@code new X(} of each record a
 * {@link SettingsSpec} declares.
 */
class NoLongSettingsConstructorsTest {
  private static final int MAX_ARGUMENTS = 5;

  /** Every settings record type: the sections, their nested records and the detectors'. */
  static Set<Class<?>> settingsTypes() {
    Set<Class<?>> types = new LinkedHashSet<>();
    List<SettingsSpec<?>> todo = new ArrayList<>(ConvLensConfig.specs());
    for (ShortcutDetector d : ShortcutDetectors.all()) {
      if (d.settingsSpec() != null) {
        todo.add(d.settingsSpec());
      }
    }
    todo.add(org.convlens.audit.Verdicts.Settings.SPEC);
    while (!todo.isEmpty()) {
      SettingsSpec<?> s = todo.remove(todo.size() - 1);
      types.add(s.type());
      for (SettingPart<?> p : s.parts()) {
        if (p instanceof SettingsSpec<?> nested) {
          todo.add(nested);
        }
      }
    }
    return types;
  }

  @Test
  void noSettingsRecordIsBuiltWithManyPositionalArguments() throws IOException {
    Set<Class<?>> types = settingsTypes();
    assertTrue(types.size() >= 17, "found the settings records: " + types);
    List<String> offences = new ArrayList<>();
    int files = 0;
    for (String module : List.of("common", "jobs", "bench")) {
      Path src = Path.of("..", module, "src");
      if (!Files.isDirectory(src)) {
        continue;
      }
      try (Stream<Path> paths = Files.walk(src)) {
        for (Path f : paths.filter(p -> p.toString().endsWith(".java")).toList()) {
          files++;
          String code = blankCommentsAndStrings(Files.readString(f, StandardCharsets.UTF_8));
          for (Class<?> t : types) {
            for (Pattern call : calls(t, f)) {
              Matcher m = call.matcher(code);
              while (m.find()) {
                int n = arguments(code, m.end());
                if (n > MAX_ARGUMENTS) {
                  offences.add(f + ":" + (1 + code.substring(0, m.start()).split("\n", -1).length - 1)
                      + " new " + t.getSimpleName() + "(" + n + " arguments)");
                }
              }
            }
          }
        }
      }
    }
    assertTrue(files > 100, "scanned the sources (run from the common module): " + files);
    assertEquals(List.of(), offences);
  }

  @Test
  void theScanCountsArguments() {
    String code = blankCommentsAndStrings("x = new A(1, f(2, 3), \"a, b\", List.of(4, 5), () -> { g(6, 7); }, 8);");
    assertEquals(6, arguments(code, code.indexOf('(') + 1));
    assertEquals(0, arguments("new A()", 6));
  }

  /** {@code new Outer.Inner(} anywhere; {@code new Inner(} or {@code new Top(} where the name is in scope. */
  private static List<Pattern> calls(Class<?> t, Path file) {
    List<Pattern> p = new ArrayList<>();
    Class<?> outer = t.getEnclosingClass();
    if (outer != null) {
      p.add(Pattern.compile("\\bnew\\s+(?:[\\w.]+\\.)?" + outer.getSimpleName() + "\\s*\\.\\s*" + t.getSimpleName()
          + "\\s*\\("));
      String name = file.getFileName().toString();
      if (name.equals(outer.getSimpleName() + ".java") || name.equals(outer.getSimpleName() + "Test.java")) {
        p.add(Pattern.compile("(?<![.\\w])new\\s+" + t.getSimpleName() + "\\s*\\("));
      }
    } else {
      p.add(Pattern.compile("\\bnew\\s+(?:[\\w.]+\\.)?" + t.getSimpleName() + "\\s*\\("));
    }
    return p;
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
        int j = src.indexOf(end, i + 2);
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
