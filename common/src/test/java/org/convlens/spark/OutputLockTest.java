package org.convlens.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.convlens.config.InvalidConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output folder's lease: one writer, a clear refusal, crashed owners taken over, fencing. */
class OutputLockTest {
  private final Configuration conf = new Configuration();
  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final PrintStream console = new PrintStream(printed, true, StandardCharsets.UTF_8);

  private OutputLock acquire(Path dir) {
    return OutputLock.acquire(new org.apache.hadoop.fs.Path(dir.toUri()), conf, "output.dir", "test", 60, console);
  }

  /** A lock file as another run would have written it. */
  private static void foreignLock(Path dir, String host, long pid, long ageSeconds) throws Exception {
    Files.createDirectories(dir);
    Path file = dir.resolve(OutputLock.FILE);
    Files.writeString(file, "{\"token\":\"other\",\"command\":\"analyze\",\"pid\":" + pid + ",\"host\":\"" + host
        + "\",\"pid_namespace\":\"" + OutputLock.pidNamespace() + "\",\"started_at\":\"earlier\"}");
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() - ageSeconds * 1000));
  }

  @Test
  void aSecondWriterIsRefusedNamingTheOwnerAndTheLockIsReentrantAndReleased(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    try (OutputLock lock = acquire(out)) {
      assertTrue(Files.isRegularFile(out.resolve(OutputLock.FILE)));
      try (OutputLock again = acquire(out)) {
        assertSame(lock, again, "the same JVM (the demo's steps) holds it again");
      }
      assertTrue(Files.isRegularFile(out.resolve(OutputLock.FILE)), "still held after the inner release");
      lock.checkHeld();
    }
    assertFalse(Files.exists(out.resolve(OutputLock.FILE)), "released");

    // Held by a live process on another host: refused, with who and how to get past it.
    Path busy = tmp.resolve("busy");
    foreignLock(busy, "elsewhere.example", 4242, 1);
    InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> acquire(busy));
    assertEquals("output.dir", e.key());
    assertTrue(e.getMessage().contains("another ConvLens run is writing to") && e.getMessage().contains("pid 4242")
        && e.getMessage().contains("elsewhere.example") && e.getMessage().contains("choose another --out"),
        e.getMessage());
  }

  @Test
  void aDeadOwnersLockIsTakenOver(@TempDir Path tmp) throws Exception {
    // Same host, a pid that does not run: taken over at once.
    Path local = tmp.resolve("local");
    foreignLock(local, OutputLock.hostName(), deadPid(), 1);
    try (OutputLock lock = acquire(local)) {
      lock.checkHeld();
    }
    assertTrue(printed.toString(StandardCharsets.UTF_8).contains("its process is gone"), printed.toString());
    // Another host, silent for longer than the timeout: taken over.
    Path remote = tmp.resolve("remote");
    foreignLock(remote, "elsewhere.example", 4242, 3600);
    try (OutputLock lock = acquire(remote)) {
      lock.checkHeld();
    }
    assertTrue(printed.toString(StandardCharsets.UTF_8).contains("no heartbeat for"), printed.toString());
  }

  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  @Test
  void aRunThatLostItsLockCannotCommit(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    try (OutputLock lock = acquire(out)) {
      foreignLock(out, "elsewhere.example", 4242, 0); // overtaken while paused
      IllegalStateException e = assertThrows(IllegalStateException.class, lock::checkHeld);
      assertTrue(e.getMessage().contains("lost the lock"), e.getMessage());
      org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(out.resolve("analysis").toUri());
      try (StagedOutput staged = StagedOutput.begin(target, conf, "20261205T000000Z-0001")) {
        Files.createDirectories(Path.of(staged.path().toUri()));
        assertThrows(IllegalStateException.class, () -> staged.replace(lock));
      }
      assertFalse(Files.exists(out.resolve("analysis")));
    }
    // Not ours: left alone on release.
    assertTrue(Files.readString(out.resolve(OutputLock.FILE)).contains("\"other\""));
  }

  @Test
  void racingWritersGetExactlyOneLock(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("race");
    int n = 8;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // Each thread its own "process": take the lock file directly, as another JVM would.
      results.add(pool.submit(() -> {
        start.await();
        try {
          Files.createDirectories(out);
          Files.write(out.resolve(OutputLock.FILE), new byte[] {'{', '}'}, java.nio.file.StandardOpenOption.CREATE_NEW);
          return true;
        } catch (java.nio.file.FileAlreadyExistsException e) {
          return false;
        }
      }));
    }
    start.countDown();
    int winners = 0;
    for (Future<Boolean> f : results) {
      winners += f.get() ? 1 : 0;
    }
    pool.shutdown();
    assertEquals(1, winners);
    // And this JVM, arriving after the winner, is refused (an unparseable lock is held, fresh).
    assertThrows(InvalidConfigException.class, () -> acquire(out));
  }

  @Test
  void anOutputThatIsAFileOrCannotBeCreatedFailsBeforeAnyWork(@TempDir Path tmp) throws Exception {
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> acquire(file));
    assertTrue(e.getMessage().contains("is a file, not a folder"), e.getMessage());
    InvalidConfigException under = assertThrows(InvalidConfigException.class, () -> acquire(file.resolve("sub")));
    assertTrue(under.getMessage().contains("cannot create the output folder"), under.getMessage());
    InvalidConfigException proc = assertThrows(InvalidConfigException.class, () -> acquire(Path.of("/proc/convlens-x")));
    assertTrue(proc.getMessage().contains("choose another --out"), proc.getMessage());
    assertFalse(proc.getMessage().contains("\n"));
  }

  @Test
  void stagedOutputsReplaceWholeAndInterruptedOnesAreCleanedOrRestored(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("out");
    Files.createDirectories(out.resolve("analysis"));
    Files.writeString(out.resolve("analysis/part-old"), "old");
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(out.resolve("analysis").toUri());
    try (OutputLock lock = acquire(out)) {
      // A failed job: the staged output goes, the old one stays.
      try (StagedOutput staged = StagedOutput.begin(target, conf, "20261205T000000Z-0001")) {
        Files.createDirectories(Path.of(staged.path().toUri()));
        Files.writeString(Path.of(staged.path().toUri()).resolve("part-new"), "new");
      }
      assertEquals(List.of(OutputLock.FILE, "analysis"), names(out));
      assertEquals("old", Files.readString(out.resolve("analysis/part-old")));
      // A job that completes replaces it whole.
      try (StagedOutput staged = StagedOutput.begin(target, conf, "20261205T000000Z-0002")) {
        Files.createDirectories(Path.of(staged.path().toUri()));
        Files.writeString(Path.of(staged.path().toUri()).resolve("part-new"), "new");
        staged.replace(lock);
      }
      assertEquals(List.of("part-new"), names(out.resolve("analysis")));
      // Appending moves the data files in, not the job's markers.
      try (StagedOutput staged = StagedOutput.begin(target, conf, "20261205T000000Z-0003")) {
        Path dir = Files.createDirectories(Path.of(staged.path().toUri()));
        Files.writeString(dir.resolve("part-more"), "more");
        Files.writeString(dir.resolve("_SUCCESS"), "");
        staged.append(lock);
      }
      assertEquals(List.of("part-more", "part-new"), names(out.resolve("analysis")));
      assertEquals(List.of(OutputLock.FILE, "analysis"), names(out));
    }

    // A run killed between its two renames left the old output aside and a staging folder.
    Files.move(out.resolve("analysis"), out.resolve("analysis.previous-20261205T000000Z-0004"));
    Files.createDirectories(out.resolve("analysis.staging-20261205T000000Z-0004"));
    Files.createDirectories(out.resolve("model.staging-20261205T000000Z-0005"));
    Files.writeString(out.resolve(".convlens-tmp-1234-run.json"), "{");
    Files.createDirectories(out.resolve("my.staging-notes")); // not ours: left alone
    try (OutputLock lock = acquire(out)) {
      assertEquals(List.of(OutputLock.FILE, "analysis", "my.staging-notes"), names(out));
      assertEquals(List.of("part-more", "part-new"), names(out.resolve("analysis")));
    }
    String said = printed.toString(StandardCharsets.UTF_8);
    assertTrue(said.contains("restored") && said.contains("left by an interrupted run"), said);
  }

  @Test
  void smallFilesAreReplacedWhole(@TempDir Path tmp) throws Exception {
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(tmp.resolve("run.json").toUri());
    OutputFiles.writeText(file, "{\"a\": 1}\n", conf);
    OutputFiles.writeText(file, "{\"a\": 2}\n", conf);
    assertEquals("{\"a\": 2}\n", Files.readString(tmp.resolve("run.json")));
    assertEquals(List.of("run.json"), names(tmp), "no temporary or checksum file beside it");
  }

  private static List<String> names(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
