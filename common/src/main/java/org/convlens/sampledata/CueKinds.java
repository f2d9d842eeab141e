package org.convlens.sampledata;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The shortcut kinds, by name: the one place a kind is registered. Adding a kind is one class
 * implementing {@link ShortcutCue} (with a {@code parse} that reads its parameters) and one row
 * here.
 */
public final class CueKinds {
  private static final Map<String, Function<CueParams, ShortcutCue>> KINDS = new LinkedHashMap<>();

  static {
    KINDS.put(Marker.KIND, Marker::parse);
    KINDS.put(Illumination.KIND, Illumination::parse);
    KINDS.put(Tint.KIND, Tint::parse);
    KINDS.put(BackgroundTexture.KIND, BackgroundTexture::parse);
    KINDS.put(Watermark.KIND, Watermark::parse);
  }

  private CueKinds() {}

  /** The kind names, in registration order. */
  public static List<String> names() {
    return List.copyOf(KINDS.keySet());
  }

  /**
   * The cue of {@code kind} with the parameters in {@code params} (null or missing ones take the
   * kind's defaults).
   *
   * @param where the cue's path in the configuration, e.g. {@code shortcuts[1]}, for messages
   * @throws IllegalArgumentException naming the kind or parameter at fault and the allowed ones
   */
  public static ShortcutCue parse(String kind, JsonNode params, String where) {
    Function<CueParams, ShortcutCue> parser = KINDS.get(kind);
    if (parser == null) {
      throw new IllegalArgumentException(
          "invalid value '" + kind + "' for " + where + ".kind: allowed values are "
              + String.join(", ", KINDS.keySet()));
    }
    try {
      return parser.apply(new CueParams(params, where + ".params"));
    } catch (IllegalArgumentException e) {
      if (e.getMessage().contains(where)) {
        throw e;
      }
      // A check across parameters, in the cue's own constructor: say where it was.
      throw new IllegalArgumentException(where + ".params: " + e.getMessage(), e);
    }
  }
}
