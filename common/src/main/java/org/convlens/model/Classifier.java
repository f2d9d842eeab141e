package org.convlens.model;

/**
 * A loaded classifier, shared by every task thread of one JVM (see {@link ModelCache}). It is
 * thread-safe; per-thread state lives in the {@link InferenceSession}s it hands out.
 */
public interface Classifier extends AutoCloseable {
  ModelDescription description();

  /** The device the weights live on, e.g. {@code cpu()} or {@code gpu(0)}. */
  String device();

  /** A session for the calling thread; close it when the task ends. Not thread-safe. */
  InferenceSession newSession();

  @Override
  void close();
}
