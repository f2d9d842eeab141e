package org.convlens.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCacheTest {
  @TempDir Path tmp;

  @Test
  void fourThreadsAskingAtOnceShareOneLoad() throws Exception {
    ModelSpec spec = ModelFixtures.cpuSpec(ModelFixtures.copyTiny(tmp.resolve("a")));
    int before = ModelCache.loadCount();
    int threads = 4;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Classifier>> got = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        got.add(pool.submit(() -> {
          start.await();
          return ModelCache.get(spec);
        }));
      }
      Classifier first = got.get(0).get();
      for (Future<Classifier> f : got) {
        assertSame(first, f.get());
      }
      assertEquals(before + 1, ModelCache.loadCount());

      // The same model reached through its sidecar JSON is the same cache entry.
      assertSame(first, ModelCache.get(ModelFixtures.cpuSpec(
          tmp.resolve("a").resolve("tiny_cnn.json"))));
      // A copy at another path is another entry.
      Classifier other = ModelCache.get(ModelFixtures.cpuSpec(
          ModelFixtures.copyTiny(tmp.resolve("b"))));
      assertTrue(first != other);
      assertEquals(before + 2, ModelCache.loadCount());
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void closingACachedClassifierIsIgnored() throws Exception {
    ModelSpec spec = ModelFixtures.cpuSpec(ModelFixtures.copyTiny(tmp.resolve("c")));
    Classifier c = ModelCache.get(spec);
    c.close();
    try (InferenceSession s = c.newSession()) {
      assertEquals(4, s.forward(new float[][] {new float[3 * 16 * 16]}).logits()[0].length);
    }
    assertSame(c, ModelCache.get(spec));
  }

  @Test
  void failedLoadsAreReportedAndNotCached() throws Exception {
    Path pt = ModelFixtures.copyTiny(tmp.resolve("bad"));
    Files.write(pt, new byte[] {1, 2, 3});
    ModelSpec spec = ModelFixtures.cpuSpec(pt);
    int before = ModelCache.loadCount();
    int size = ModelCache.size();
    assertThrows(ModelLoadException.class, () -> ModelCache.get(spec));
    assertEquals(size, ModelCache.size());
    // Fixed in place (as a retried task would find it): the next call loads.
    Files.copy(ModelFixtures.tinyPt(), pt, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    ModelCache.get(spec);
    assertEquals(before + 1, ModelCache.loadCount());
  }

  @Test
  void sessionsOnSeveralThreadsMatchOneThread() throws Exception {
    Classifier c = ModelCache.get(ModelFixtures.cpuSpec(ModelFixtures.copyTiny(tmp.resolve("d"))));
    assertConcurrentSessionsAgree(c, ModelFixtures.images(24, 3, 16, 99));
  }

  @Test
  void djlSessionsOnSeveralThreadsMatchOneThread() throws Exception {
    Path dir = tmp.resolve("djl");
    try (ai.djl.Model model = ModelFixtures.seededSmallCnn(3, 8)) {
      ModelFixtures.save(model,
          ModelFixtures.djlDescription("small-cnn-cache", ModelFixtures.DJL_CLASSES), dir);
    }
    Classifier c = ModelCache.get(ModelFixtures.cpuSpec(dir));
    assertConcurrentSessionsAgree(c, ModelFixtures.images(8, 3, ModelFixtures.DJL_SIZE, 4));
  }

  private static void assertConcurrentSessionsAgree(Classifier c, float[][] images)
      throws Exception {
    InferenceSession.Forward single;
    try (InferenceSession s = c.newSession()) {
      single = s.forward(images);
    }
    int threads = 4;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<InferenceSession.Forward>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(pool.submit(() -> {
          try (InferenceSession s = c.newSession()) {
            start.await();
            InferenceSession.Forward last = null;
            for (int r = 0; r < 20; r++) {
              last = s.forward(images);
            }
            return last;
          }
        }));
      }
      for (Future<InferenceSession.Forward> f : results) {
        InferenceSession.Forward out = f.get();
        assertEquals(0f, ModelFixtures.maxAbsDiff(single.logits(), out.logits()));
        assertEquals(0f, ModelFixtures.maxAbsDiff(single.embeddings(), out.embeddings()));
      }
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Each batch's tensors are freed: 400 batches must not grow the process by their size. Kept,
   * they would add ≈ 350 MB (measured ≈ 175 MB per 200 batches with the sub-manager left open);
   * freed, growth is the Java heap settling, ≈ 25–40 MB.
   */
  @Test
  void manyBatchesDoNotGrowMemory() throws Exception {
    Classifier c = ModelCache.get(ModelFixtures.cpuSpec(ModelFixtures.copyTiny(tmp.resolve("e"))));
    float[][] images = ModelFixtures.images(32, 3, 16, 5);
    try (InferenceSession s = c.newSession()) {
      for (int i = 0; i < 20; i++) {
        s.forward(images);
      }
      long before = rssKb();
      for (int i = 0; i < 400; i++) {
        s.forward(images);
      }
      long grown = rssKb() - before;
      System.out.printf("RSS growth over 400 batches: %d kB%n", grown);
      if (before > 0) {
        assertTrue(grown < 120_000, "RSS grew by " + grown + " kB");
      }
    }
  }

  private static long rssKb() throws java.io.IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return -1;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
