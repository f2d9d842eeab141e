package org.convlens.spark;

import static org.convlens.data.HadoopPaths.display;
import static org.convlens.data.HadoopPaths.localPath;
import static org.convlens.data.HadoopPaths.reason;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.convlens.config.InvalidConfigException;

/**
 * One writer per output folder: a lease file {@code <folder>/.convlens.lock} naming its owner
 * (command, pid, host, start time) and refreshed as a heartbeat (its modification time) every
 * quarter of {@code output.lock-timeout-seconds}.
 *
 * <ul>
 *   <li><b>Taking it</b> is an exclusive create: {@code O_EXCL} on local disks (through {@code
 *       java.nio}), {@code create(overwrite = false)} elsewhere, which HDFS performs atomically
 *       at the NameNode. Object stores whose create is not exclusive (S3A without conditional
 *       writes) cannot guarantee this; there two writers started within milliseconds may both
 *       pass.
 *   <li><b>A second writer</b> is refused with a message naming the owner ({@link
 *       InvalidConfigException} on {@code output.dir}: exit status 2).
 *   <li><b>A crashed owner</b> does not block for ever: its lock is stale when its process is
 *       gone (same host: the pid no longer runs with that start time) or its heartbeat is older
 *       than the timeout (any host). A stale lock is taken over by renaming it aside first, so
 *       two runs cannot both take over the same stale lock.
 *   <li><b>Fencing</b>: the heartbeat checks the file still names this owner, and outputs are
 *       only swapped in after {@link #checkHeld()}: a run that lost its lock (paused past the
 *       timeout, then overtaken) fails instead of overwriting the newer run's output.
 * </ul>
 *
 * <p>Re-entrant within one JVM (the demo holds its folder across its four steps). On a normal
 * exit or SIGTERM the lock file is removed.
 */
public final class OutputLock implements AutoCloseable {
  public static final String FILE = ".convlens.lock";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, OutputLock> HELD = new ConcurrentHashMap<>();
  private static final Thread RELEASE_ON_EXIT = new Thread(OutputLock::releaseAll, "convlens-lock-release");

  static {
    Runtime.getRuntime().addShutdownHook(RELEASE_ON_EXIT);
  }

  private final Path folder;
  private final Path file;
  private final Configuration conf;
  private final String token;
  private final ScheduledExecutorService heartbeat;
  private int holds = 1;
  private volatile String lost;

  private OutputLock(Path folder, Configuration conf, String token, long periodMillis) {
    this.folder = folder;
    this.file = new Path(folder, FILE);
    this.conf = conf;
    this.token = token;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "convlens-lock-heartbeat");
      t.setDaemon(true);
      return t;
    });
    heartbeat.scheduleAtFixedRate(this::beat, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * Creates {@code folder} if needed and takes its lock, or fails with one sentence: the folder
   * is a file or cannot be written ({@code key} names the setting to change), or another run
   * holds it. Leftovers of an interrupted run are cleaned up once the lock is ours ({@link
   * StagedOutput#recover}).
   *
   * @param key the setting that chose {@code folder} (e.g. {@code output.dir}), for messages
   * @param command what this run is (e.g. {@code analyze}), recorded in the lock
   */
  public static synchronized OutputLock acquire(Path folder, Configuration conf, String key, String command,
      int timeoutSeconds, PrintStream console) {
    FileSystem fs = fileSystem(folder, conf);
    // Path(String) drops a trailing slash, which a Path made from a folder's URI keeps.
    Path qualified = fs.makeQualified(new Path(folder.toString()));
    OutputLock held = HELD.get(qualified.toString());
    if (held != null) {
      held.holds++;
      return held;
    }
    prepareFolder(fs, qualified, key);
    Path file = new Path(qualified, FILE);
    String token = UUID.randomUUID().toString();
    byte[] content = ownerRecord(token, command);
    for (int attempt = 0; attempt < 3; attempt++) {
      if (createExclusive(fs, file, content, key)) {
        OutputLock lock = new OutputLock(qualified, conf, token, Math.max(500L, timeoutSeconds * 250L));
        HELD.put(qualified.toString(), lock);
        StagedOutput.recover(qualified, conf, console);
        return lock;
      }
      Owner owner = readOwner(fs, file);
      if (owner == null) {
        continue; // released between our create and our read: try again
      }
      Optional<String> stale = owner.staleness(timeoutSeconds);
      if (stale.isEmpty()) {
        throw new InvalidConfigException(key, "another ConvLens run is writing to " + display(qualified) + ": "
            + owner.describe() + ". Wait for it to finish or choose another --out. (A lock whose run died expires "
            + timeoutSeconds + " s after its last heartbeat, output.lock-timeout-seconds.)");
      }
      if (takeOver(fs, file, owner, token)) {
        console.println("output: took over the lock of " + display(qualified) + " from a run that died ("
            + owner.describe() + "; " + stale.get() + ")");
      }
    }
    throw new InvalidConfigException(key, "could not take the lock of " + display(qualified)
        + ": other runs keep starting there; choose another --out");
  }

  /** Fails unless this run still holds the lock: call before swapping any output in. */
  public void checkHeld() {
    String why = lost;
    if (why == null) {
      Owner owner = readOwner(fileSystem(folder, conf), file);
      if (owner == null || !token.equals(owner.token())) {
        why = owner == null ? "the lock file was removed" : "another run took it over: " + owner.describe();
        lost = why;
      }
    }
    if (why != null) {
      throw new IllegalStateException("this run lost the lock of " + display(folder) + " (" + why
          + "), so it did not replace the outputs there; run it again");
    }
  }

  /** The folder this lock guards. */
  public Path folder() {
    return folder;
  }

  @Override
  public void close() {
    synchronized (OutputLock.class) {
      if (--holds > 0) {
        return;
      }
      HELD.remove(folder.toString());
    }
    release();
  }

  private void release() {
    heartbeat.shutdownNow();
    try {
      FileSystem fs = fileSystem(folder, conf);
      Owner owner = readOwner(fs, file);
      if (owner != null && token.equals(owner.token())) {
        fs.delete(file, false);
      }
    } catch (RuntimeException | IOException e) {
      // The lock then expires by its heartbeat.
    }
  }

  private static void releaseAll() {
    for (OutputLock lock : HELD.values()) {
      lock.release();
    }
    HELD.clear();
  }

  private void beat() {
    try {
      FileSystem fs = fileSystem(folder, conf);
      Owner owner = readOwner(fs, file);
      if (owner == null || !token.equals(owner.token())) {
        lost = owner == null ? "the lock file was removed" : "another run took it over: " + owner.describe();
        heartbeat.shutdown();
        return;
      }
      long now = System.currentTimeMillis();
      java.nio.file.Path local = localPath(fs, file);
      if (local != null) {
        Files.setLastModifiedTime(local, FileTime.fromMillis(now));
      } else {
        fs.setTimes(file, now, -1);
      }
    } catch (IOException | RuntimeException e) {
      // A missed beat is harmless; several in a row make the lock look stale to others, and the
      // next successful beat (or checkHeld) finds out whether it was taken over.
    }
  }

  private static void prepareFolder(FileSystem fs, Path folder, String key) {
    try {
      FileStatus s = fs.getFileStatus(folder);
      if (!s.isDirectory()) {
        throw new InvalidConfigException(key, display(folder) + " is a file, not a folder: choose another --out"
            + (key.equals("output.dir") ? "" : " (or " + key + ")"));
      }
      return;
    } catch (java.io.FileNotFoundException e) {
      // created below
    } catch (IOException e) {
      throw new InvalidConfigException(key, "cannot use " + display(folder) + " for outputs: " + reason(e));
    }
    try {
      java.nio.file.Path local = localPath(fs, folder);
      if (local != null) {
        Files.createDirectories(local);
      } else if (!fs.mkdirs(folder)) {
        throw new IOException("mkdirs failed");
      }
    } catch (IOException | RuntimeException e) {
      throw new InvalidConfigException(key, "cannot create the output folder " + display(folder) + ": " + reason(e)
          + "; choose another --out");
    }
  }

  /** True when the lock file was created by this call; false when it already exists. */
  private static boolean createExclusive(FileSystem fs, Path file, byte[] content, String key) {
    try {
      java.nio.file.Path local = localPath(fs, file);
      if (local != null) {
        Files.write(local, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } else {
        try (OutputStream out = fs.create(file, false)) {
          out.write(content);
        }
      }
      return true;
    } catch (FileAlreadyExistsException | org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      if (fileExists(fs, file)) {
        return false;
      }
      throw new InvalidConfigException(key, "cannot write to the output folder " + display(file.getParent()) + ": "
          + reason(e) + "; choose another --out");
    }
  }

  private static boolean fileExists(FileSystem fs, Path file) {
    try {
      return fs.exists(file);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Moves the stale lock aside (only one contender's rename can succeed), then makes sure what
   * was moved is the lock judged stale; if another run's fresh lock was moved instead, it is put
   * back and nothing is taken over.
   */
  private static boolean takeOver(FileSystem fs, Path file, Owner stale, String token) {
    Path aside = new Path(file.getParent(), FILE + ".stale-" + token);
    try {
      if (!fs.rename(file, aside)) {
        return false;
      }
      Owner moved = readOwner(fs, aside);
      if (moved != null && stale.token().equals(moved.token())) {
        fs.delete(aside, false);
        return true;
      }
      fs.rename(aside, file); // not ours to take: put it back
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  private static byte[] ownerRecord(String token, String command) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("token", token);
    m.put("command", command);
    ProcessHandle self = ProcessHandle.current();
    m.put("pid", self.pid());
    m.put("process_started_at", self.info().startInstant().map(Instant::toString).orElse(null));
    m.put("host", hostName());
    m.put("pid_namespace", pidNamespace());
    m.put("started_at", Instant.now().toString());
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Who holds a lock, and when it last beat. */
  record Owner(String token, String command, long pid, String processStartedAt, String host, String pidNamespace,
      String startedAt, long heartbeatMillis) {
    /** Why the lock is stale, or empty while its owner may still run. */
    Optional<String> staleness(int timeoutSeconds) {
      // Its pid means something here only on the same host and in the same pid namespace (two
      // containers may share a host name and a volume).
      if (hostName().equals(host) && pidNamespace().equals(pidNamespace) && pid > 0) {
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        boolean same = process.isPresent() && process.get().isAlive() && (processStartedAt == null
            || process.get().info().startInstant().map(i -> i.toString().equals(processStartedAt)).orElse(true));
        if (!same) {
          return Optional.of("its process is gone");
        }
      }
      long age = System.currentTimeMillis() - heartbeatMillis;
      if (age > timeoutSeconds * 1000L) {
        return Optional.of(String.format(Locale.ROOT, "no heartbeat for %.0f s", age / 1000.0));
      }
      return Optional.empty();
    }

    String describe() {
      long age = Math.max(0, System.currentTimeMillis() - heartbeatMillis);
      return String.format(Locale.ROOT, "`%s`, pid %d on %s, started %s, last heartbeat %.0f s ago", command, pid,
          host, startedAt, age / 1000.0);
    }

    /** A builder, so that a caller names each of the 8 components instead of placing them by position. */
    static Builder builder() {
      return new Builder();
    }

    /** Sets the components by name; {@link #build()} checks them as the constructor does. */
    static final class Builder {
      private String token;
      private String command;
      private long pid;
      private String processStartedAt;
      private String host;
      private String pidNamespace;
      private String startedAt;
      private long heartbeatMillis;

      private Builder() {}

      Builder token(String token) {
        this.token = token;
        return this;
      }

      Builder command(String command) {
        this.command = command;
        return this;
      }

      Builder pid(long pid) {
        this.pid = pid;
        return this;
      }

      Builder processStartedAt(String processStartedAt) {
        this.processStartedAt = processStartedAt;
        return this;
      }

      Builder host(String host) {
        this.host = host;
        return this;
      }

      Builder pidNamespace(String pidNamespace) {
        this.pidNamespace = pidNamespace;
        return this;
      }

      Builder startedAt(String startedAt) {
        this.startedAt = startedAt;
        return this;
      }

      Builder heartbeatMillis(long heartbeatMillis) {
        this.heartbeatMillis = heartbeatMillis;
        return this;
      }

      Owner build() {
        return new Owner(token, command, pid, processStartedAt, host, pidNamespace, startedAt, heartbeatMillis);
      }
    }
  }

  /**
   * The lock's owner, or null when there is no lock file. A lock file that cannot be parsed (being
   * written this very moment, or its writer died right after creating it) is held by an unknown
   * owner until its age says otherwise.
   */
  static Owner readOwner(FileSystem fs, Path file) {
    FileStatus status;
    try {
      status = fs.getFileStatus(file);
    } catch (java.io.FileNotFoundException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      return Owner.builder()
          .token("")
          .command("unknown")
          .pid(-1)
          .processStartedAt(null)
          .host("unknown")
          .pidNamespace("")
          .startedAt("unknown")
          .heartbeatMillis(System.currentTimeMillis())
          .build();
    }
    try {
      JsonNode n;
      try (InputStream in = fs.open(file)) {
        n = JSON.readTree(in.readAllBytes());
      }
      if (n != null && n.hasNonNull("token")) {
        return Owner.builder()
            .token(n.path("token").asText())
            .command(n.path("command").asText())
            .pid(n.path("pid").asLong(-1))
            .processStartedAt(n.hasNonNull("process_started_at") ? n.get("process_started_at").asText() : null)
            .host(n.path("host").asText())
            .pidNamespace(n.path("pid_namespace").asText())
            .startedAt(n.path("started_at").asText())
            .heartbeatMillis(status.getModificationTime())
            .build();
      }
    } catch (java.io.FileNotFoundException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      // unparseable: below
    }
    return Owner.builder()
        .token("")
        .command("unknown")
        .pid(-1)
        .processStartedAt(null)
        .host("unknown")
        .pidNamespace("")
        .startedAt("unknown")
        .heartbeatMillis(status.getModificationTime())
        .build();
  }

  /** The pid namespace of this process ({@code pid:[4026531836]}), or "" where there is none to read. */
  static String pidNamespace() {
    try {
      return Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/ns/pid")).toString();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
    }
  }

  static FileSystem fileSystem(Path p, Configuration conf) {
    try {
      return p.getFileSystem(conf);
    } catch (IOException e) {
      throw new InvalidConfigException("output.dir", "cannot use " + p + " for outputs: " + reason(e));
    }
  }
}
