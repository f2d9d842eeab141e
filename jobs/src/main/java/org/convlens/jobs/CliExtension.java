package org.convlens.jobs;

/**
 * A subcommand from a module this one does not depend on, found at start through {@link
 * java.util.ServiceLoader} ({@code META-INF/services/org.convlens.jobs.CliExtension}). The
 * benchmarks (module bench) come in this way, so that neither the library nor the application
 * jar carries them.
 */
public interface CliExtension {
  /** The picocli command object (annotated with {@code @Command}); its name is the subcommand's. */
  Object command();
}
