package org.convlens.attribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The method is the single source of truth: outside its own class and the registry, no main file
 * of common or jobs (Java, template, script, style sheet) names a registered method, so that the
 * audit, the report, the jobs and the CLI derive everything from {@link Attributions}. A name is
 * matched as {@code grep -i} does, or as a whole word ({@code grep -iw}) when it is part of
 * another method's name (cam in gradcam). Another method's file may hold it inside that method's
 * own title (the CAM of Grad-CAM).
 */
class MethodNamesStayInTheirClassTest {
  private static final Path ATTRIBUTION = Path.of("src/main/java/org/convlens/attribution");
  private static final List<Path> MAIN = List.of(Path.of("src/main"), Path.of("..", "jobs", "src", "main"));

  @Test
  void eachMethodIsNamedOnlyByItsClassAndTheRegistry() {
    assertTrue(Files.isDirectory(ATTRIBUTION), "run from the common module: " + ATTRIBUTION.toAbsolutePath());
    List<Path> files = new ArrayList<>();
    for (Path root : MAIN) {
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(Files::isRegularFile).filter(p -> p.toString().matches(".*\\.(java|peb|js|css)$"))
            .forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    assertTrue(files.size() > 100, "found only " + files.size() + " main files");
    for (AttributionMethod m : Attributions.ALL) {
      TreeSet<String> allowed = new TreeSet<>(List.of(classFile(m), "Attributions.java"));
      Pattern name = pattern(m.name());
      for (AttributionMethod other : Attributions.ALL) {
        if (other != m && name.matcher(other.title()).find()) {
          allowed.add(classFile(other));
        }
      }
      TreeSet<String> naming = new TreeSet<>();
      for (Path f : files) {
        boolean own = f.getParent().equals(ATTRIBUTION) && allowed.contains(f.getFileName().toString());
        if (!own && name.matcher(read(f)).find()) {
          naming.add(f.toString());
        }
      }
      assertEquals(new TreeSet<>(), naming, "main files other than " + allowed + " that name " + m.name());
    }
  }

  /** The name as grep -i finds it, or as a whole word when another method's name contains it. */
  private static Pattern pattern(String method) {
    boolean inAnother = Attributions.NAMES.stream().anyMatch(n -> !n.equals(method) && n.contains(method));
    String quoted = Pattern.quote(method);
    return Pattern.compile(inAnother ? "(?<![\\p{Alnum}_])" + quoted + "(?![\\p{Alnum}_])" : quoted,
        Pattern.CASE_INSENSITIVE);
  }

  private static String classFile(AttributionMethod m) {
    return m.getClass().getSimpleName() + ".java";
  }

  private static String read(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
