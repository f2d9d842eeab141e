package org.convlens.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Thumbnails packed into JPEG sheets: tile i of sheet s holds thumbnail s·perAtlas + i at column
 * i % columns, row i / columns. Tiles are flat colours, so JPEG keeps their centres close.
 */
class SpriteAtlasTest {
  private static final int SIDE = 32;
  private static final int N = 5000;
  /** JPEG at quality 0.9, 4:2:0, a flat 32-pixel tile: the centre is within a few levels. */
  private static final int TOLERANCE = 12;

  private static byte[][] thumbs;
  private static SpriteAtlas atlas;

  @BeforeAll
  static void pack() {
    thumbs = new byte[N][];
    for (int i = 0; i < N; i++) {
      if (i % 10 == 3) {
        continue; // missing
      }
      byte[] t = new byte[3 * SIDE * SIDE];
      int[] c = colour(i);
      for (int p = 0; p < SIDE * SIDE; p++) {
        t[3 * p] = (byte) c[0];
        t[3 * p + 1] = (byte) c[1];
        t[3 * p + 2] = (byte) c[2];
      }
      thumbs[i] = t;
    }
    atlas = SpriteAtlas.pack(thumbs, SIDE);
  }

  /** A colour per tile, far from its neighbours', away from the clipping ends. */
  static int[] colour(int i) {
    return new int[] {30 + (i * 37) % 200, 30 + (i * 91) % 200, 30 + (i * 53) % 200};
  }

  @Test
  void layoutAndSheetCount() throws Exception {
    assertEquals(SIDE, atlas.side());
    assertEquals(2048 / SIDE, atlas.columns());
    assertEquals(atlas.columns() * atlas.columns(), atlas.perAtlas());
    assertEquals(4096, atlas.perAtlas());
    assertEquals((N + 4095) / 4096, atlas.images().size());
    assertEquals(2, atlas.images().size());

    BufferedImage first = decode(0);
    assertEquals(2048, first.getWidth());
    assertEquals(2048, first.getHeight());
    BufferedImage second = decode(1);
    int rest = N - 4096;
    assertEquals(2048, second.getWidth());
    assertEquals(((rest + 63) / 64) * SIDE, second.getHeight());
    long bytes = 0;
    for (String uri : atlas.images()) {
      bytes += Base64.getDecoder().decode(uri.substring(uri.indexOf(',') + 1)).length;
    }
    assertEquals(bytes, atlas.bytes());
  }

  @Test
  void tileIShowsThumbnailIAndMissingOnesAreBlack() throws Exception {
    BufferedImage[] sheets = {decode(0), decode(1)};
    int checked = 0;
    for (int i = 0; i < N; i += (i < 200 ? 1 : 17)) {
      check(sheets, i);
      checked++;
    }
    check(sheets, 4095); // last tile of sheet 0
    check(sheets, 4096); // first of sheet 1
    check(sheets, N - 1);
    assertTrue(checked > 400);
  }

  @Test
  void fewThumbnailsMakeANarrowSheet() throws Exception {
    byte[] white = new byte[3 * 8 * 8];
    Arrays.fill(white, (byte) 255);
    SpriteAtlas small = SpriteAtlas.pack(new byte[][] {white, null, white}, 8);
    assertEquals(1, small.images().size());
    BufferedImage sheet = read(small.images().get(0));
    assertEquals(24, sheet.getWidth());
    assertEquals(8, sheet.getHeight());
    assertTrue(SpriteAtlas.pack(new byte[0][], 8).images().isEmpty());
  }

  private static void check(BufferedImage[] sheets, int i) {
    int sheet = i / atlas.perAtlas();
    int t = i % atlas.perAtlas();
    int x = (t % atlas.columns()) * SIDE + SIDE / 2;
    int y = (t / atlas.columns()) * SIDE + SIDE / 2;
    int rgb = sheets[sheet].getRGB(x, y);
    int[] got = {(rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF};
    int[] want = thumbs[i] == null ? new int[] {0, 0, 0} : colour(i);
    for (int c = 0; c < 3; c++) {
      assertTrue(Math.abs(got[c] - want[c]) <= TOLERANCE,
          "thumbnail " + i + " channel " + c + ": " + Arrays.toString(got) + " vs " + Arrays.toString(want));
    }
  }

  private static BufferedImage decode(int sheet) throws Exception {
    return read(atlas.images().get(sheet));
  }

  private static BufferedImage read(String uri) throws Exception {
    String prefix = "data:image/jpeg;base64,";
    assertTrue(uri.startsWith(prefix), uri.substring(0, Math.min(40, uri.length())));
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(uri.substring(prefix.length()))));
    assertNotNull(img);
    return img;
  }
}
