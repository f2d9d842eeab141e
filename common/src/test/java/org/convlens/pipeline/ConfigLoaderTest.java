package org.convlens.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.convlens.config.InputFormat;
import org.convlens.config.InvalidConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static ConvLensConfig load(String... sets) {
    return ConfigLoader.load(null, Map.of(), List.of(sets));
  }

  private static InvalidConfigException invalid(String... sets) {
    return assertThrows(InvalidConfigException.class, () -> load(sets));
  }

  @Test
  void defaultsComeFromTheConfFile() {
    ConvLensConfig c = load();
    assertEquals("local[*]", c.spark().master());
    assertEquals(InputFormat.AUTO, c.input().format());
    assertEquals(5, c.analyze().topK());
    assertEquals(64, c.analyze().batchSize());
    assertEquals(89_478_485L, c.input().maxPixels());
    assertEquals("out", c.output().dir());
    assertEquals(List.of(), c.input().paths());
    assertTrue(c.rendered().contains("batch-size"), c.rendered());
  }

  @Test
  void precedenceIsDefaultsThenFileThenOptionsThenSet(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("my.conf");
    Files.writeString(file, "analyze { top-k = 3, batch-size = 8 }\noutput.dir = from-file\ninput.format = cifar10\n");
    ConvLensConfig c = ConfigLoader.load(file, Map.of("output.dir", "from-option", "input.format", "folder"),
        List.of("input.format=manifest"));
    assertEquals(3, c.analyze().topK());
    assertEquals(8, c.analyze().batchSize());
    assertEquals("from-option", c.output().dir());
    assertEquals(InputFormat.MANIFEST, c.input().format());
  }

  @Test
  void setParsesNumbersListsAndKeepsUrlsAsStrings() {
    ConvLensConfig c = load("analyze.batch-size=32", "input.paths=[a, b]", "output.dir=hdfs://nn:8020/x//y",
        "spark.conf.spark.executor.memory=4g", "input.extensions=[PNG, .Jpg]");
    assertEquals(32, c.analyze().batchSize());
    assertEquals(List.of("a", "b"), c.input().paths());
    assertEquals("hdfs://nn:8020/x//y", c.output().dir());
    assertEquals("4g", c.spark().conf().get("spark.executor.memory"));
    assertEquals(List.of("png", "jpg"), c.input().extensions());
    assertEquals(List.of("one"), load("input.paths=one").input().paths());
  }

  @Test
  void invalidChoiceNamesKeyAndAllowedValues() {
    InvalidConfigException e = invalid("input.format=tiff");
    assertEquals("input.format", e.key());
    assertEquals("invalid value 'tiff' for input.format: allowed values are auto, cifar10, cifar100, "
        + "imagenet, imagenet-val, folder, manifest", e.getMessage());
    assertTrue(invalid("model.device=tpu").getMessage().contains("auto, cpu, gpu"));
    assertTrue(invalid("output.mode=append").getMessage().contains("overwrite, error"));
    assertTrue(invalid("input.cifar100-label=both").getMessage().contains("fine, coarse"));
  }

  @Test
  void outOfRangeAndWrongTypeNameTheKey() {
    InvalidConfigException e = invalid("analyze.top-k=0");
    assertEquals("analyze.top-k", e.key());
    assertTrue(e.getMessage().contains("integers from 1 to 1000"), e.getMessage());
    assertEquals("analyze.batch-size", invalid("analyze.batch-size=100000").key());
    InvalidConfigException t = invalid("analyze.batch-size=lots");
    assertEquals("analyze.batch-size", t.key());
    assertTrue(t.getMessage().contains("expected an integer"), t.getMessage());
    assertEquals("input.max-pixels", invalid("input.max-pixels=-1").key());
    assertEquals("progress.interval-seconds", invalid("progress.interval-seconds=-5").key());
    assertEquals("spark.master", invalid("spark.master=").key());
  }

  @Test
  void unknownKeysAreRejectedWithTheKnownOnes() {
    InvalidConfigException e = invalid("analyze.topk=3");
    assertEquals("analyze.topk", e.key());
    assertTrue(e.getMessage().contains("unknown configuration key 'analyze.topk'"), e.getMessage());
    assertTrue(e.getMessage().contains("analyze.top-k"), e.getMessage());
    assertTrue(invalid("nonsense.key=1").getMessage().contains("known sections"));
  }

  @Test
  void malformedSetAndMissingConfFileFailClearly(@TempDir Path dir) throws Exception {
    assertTrue(invalid("analyze.top-k").getMessage().contains("key=value"));
    InvalidConfigException missing = assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(dir.resolve("nope.conf"), Map.of(), List.of()));
    assertTrue(missing.getMessage().contains("nope.conf"));
    Path broken = Files.writeString(dir.resolve("broken.conf"), "analyze { top-k = ");
    assertTrue(assertThrows(InvalidConfigException.class,
        () -> ConfigLoader.load(broken, Map.of(), List.of())).getMessage().contains("cannot parse"));
  }
}
