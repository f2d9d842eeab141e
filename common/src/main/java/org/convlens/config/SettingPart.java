package org.convlens.config;

import com.typesafe.config.Config;
import java.util.List;

/**
 * One component of a settings record as a {@link SettingsSpec} sees it: a {@link Key}, a nested
 * record's spec, or a part computed from several keys (each audit detector's own settings).
 *
 * @param <T> the component's type
 */
public interface SettingPart<T> {
  /** Reads and checks the part from a merged configuration. */
  T read(Config config);

  /** The value when every key is at its declared default. */
  T defaultValue();

  /** The configuration keys behind this part. */
  List<Key<?>> keys();
}
