package org.convlens.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FileListingTest {
  /** The extension computed in Java: lower(regexp_extract(path, "\\.([A-Za-z0-9]+)$", 1)). */
  @Test
  void extensionIsTheLowerCasedAlphanumericTailAfterTheLastDot() {
    assertEquals("png", FileListing.extension("file:/data/a/b.PNG"));
    assertEquals("jpeg", FileListing.extension("file:/data/a.b/c.JpEg"));
    assertEquals("gz", FileListing.extension("file:/data/x.tar.GZ"));
    assertEquals("", FileListing.extension("file:/data/a.b/noext"));
    assertEquals("", FileListing.extension("file:/data/trailing."));
    assertEquals("", FileListing.extension("file:/data/b.jp-g"));
    assertEquals("", FileListing.extension("file:/data/b.png "));
    assertEquals("", FileListing.extension("file:/data/ümlaut.pñg"));
  }
}
