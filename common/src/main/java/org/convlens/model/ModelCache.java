package org.convlens.model;

import ai.djl.Device;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model per executor JVM: every task thread asking for the same model gets the same
 * {@link Classifier} and opens its own {@link InferenceSession} on it.
 *
 * <p>Keyed by (model id, canonical path of the description, resolved device), so a model is
 * loaded once per GPU a JVM's tasks were given, and two copies of a model at different paths are
 * not confused. When several threads ask at once, one loads and the others wait for it; a failed
 * load is reported to all of them and not cached, so a retried task tries again. Classifiers are
 * closed by a JVM shutdown hook; {@code close()} on a cached classifier is ignored.
 */
public final class ModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);

  record Key(String modelId, String canonicalPath, String device) {}

  private static final ConcurrentHashMap<Key, CompletableFuture<BlockClassifier>> CACHE =
      new ConcurrentHashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();
  private static final Thread SHUTDOWN_HOOK = new Thread(ModelCache::closeAll, "convlens-models");

  static {
    Runtime.getRuntime().addShutdownHook(SHUTDOWN_HOOK);
  }

  private ModelCache() {}

  /**
   * The JVM's classifier for {@code spec}, loading it on first use ({@link ModelLoader#load}).
   * Do not close it.
   */
  public static Classifier get(ModelSpec spec) throws ModelLoadException {
    EngineSetup.configure(spec.threads(), spec.interopThreads());
    ModelLoader.Located located = ModelLoader.locate(spec);
    Device device = ModelLoader.resolveDevice(spec, located);
    String canonical;
    try {
      canonical = located.descriptionFile().toRealPath().toString();
    } catch (IOException e) {
      throw new ModelLoadException("cannot resolve " + located.descriptionFile() + ": "
          + e.getMessage(), e);
    }
    Key key = new Key(located.description().id(), canonical, device.toString());

    CompletableFuture<BlockClassifier> mine = new CompletableFuture<>();
    CompletableFuture<BlockClassifier> existing = CACHE.putIfAbsent(key, mine);
    if (existing == null) {
      try {
        BlockClassifier classifier = ModelLoader.load(located, device);
        classifier.markCacheOwned();
        LOADS.incrementAndGet();
        LOG.info("loaded model {} from {} on {} (libtorch C++ log level {})", key.modelId(), located.artifact(), device,
            EngineSetup.nativeLogLevel());
        mine.complete(classifier);
        return classifier;
      } catch (ModelLoadException | RuntimeException | Error e) {
        CACHE.remove(key, mine);
        mine.completeExceptionally(e);
        throw e;
      }
    }
    try {
      return existing.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelLoadException("interrupted while waiting for model " + key.modelId(), e);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ModelLoadException mle) {
        // A fresh exception, so this thread's stack shows where it asked.
        throw new ModelLoadException(mle.getMessage(), mle);
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new ModelLoadException("loading model " + key.modelId() + " failed: " + cause, cause);
    }
  }

  /** How many models this JVM has loaded through the cache (for tests and run metrics). */
  public static int loadCount() {
    return LOADS.get();
  }

  /** How many models are cached now. */
  public static int size() {
    return CACHE.size();
  }

  /** Closes and forgets every cached model; for the shutdown hook and tests only. */
  static void closeAll() {
    for (Key key : CACHE.keySet()) {
      CompletableFuture<BlockClassifier> f = CACHE.remove(key);
      if (f != null && f.isDone() && !f.isCompletedExceptionally()) {
        try {
          f.join().closeNow();
        } catch (RuntimeException e) {
          LOG.warn("closing model {} failed: {}", key.modelId(), e.toString());
        }
      }
    }
  }
}
