package org.convlens.attribution;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class MapEncodingTest {
  @Test
  void halfPrecisionMatchesIeeeBinary16() {
    // bit patterns from IEEE 754-2008 binary16
    assertEquals((short) 0x3C00, MapEncoding.toHalf(1f));
    assertEquals((short) 0xC000, MapEncoding.toHalf(-2f));
    assertEquals((short) 0x7BFF, MapEncoding.toHalf(65504f));
    assertEquals((short) 0x7C00, MapEncoding.toHalf(70000f));
    assertEquals((short) 0x0001, MapEncoding.toHalf(5.9604645e-8f)); // smallest subnormal
    assertEquals((short) 0x3555, MapEncoding.toHalf(1f / 3));
    assertEquals((short) 0x3C00, MapEncoding.toHalf(1.00048828125f)); // tie → even
    assertEquals((short) 0x3C02, MapEncoding.toHalf(1.00146484375f)); // tie → even (up)
    for (float v = -3; v <= 3; v += 0.001f) {
      float back = MapEncoding.fromHalf(MapEncoding.toHalf(v));
      assertEquals(v, back, Math.abs(v) / 1024 + 1e-7f, "round trip of " + v);
    }
  }

  @Test
  void encodingsRoundTripWithinTheirPrecision() {
    float[] v = {-2f, -0.5f, 0f, 0.25f, 1f, 3f};
    Row s8 = MapEncoding.encode(v, 1, 2, 3, MapEncoding.Kind.U8, MapEncoding.Range.SYMMETRIC);
    assertEquals("s8", s8.getString(3));
    assertEquals(3f, s8.getFloat(5));
    Row minmax = MapEncoding.encode(v, 1, 2, 3, MapEncoding.Kind.U8, MapEncoding.Range.MIN_MAX);
    assertEquals("u8", minmax.getString(3));
    assertEquals(-2f, minmax.getFloat(4));
    Row f16 = MapEncoding.encode(v, 1, 2, 3, MapEncoding.Kind.F16, MapEncoding.Range.MIN_MAX);
    Row f32 = MapEncoding.encode(v, 1, 2, 3, MapEncoding.Kind.F32, MapEncoding.Range.MIN_MAX);
    assertEquals("f32", f32.getString(3));
    assertEquals(4 * v.length, ((byte[]) f32.get(6)).length);
    float[] a = MapEncoding.decode(s8);
    float[] b = MapEncoding.decode(minmax);
    float[] c = MapEncoding.decode(f16);
    for (int i = 0; i < v.length; i++) {
      assertEquals(v[i], a[i], 3f / 127 / 2 + 1e-6f);
      assertEquals(v[i], b[i], 5f / 255 / 2 + 1e-6f);
      assertEquals(v[i], c[i], 5f / 2048 + 1e-6f);
      assertEquals(v[i], MapEncoding.decode(f32)[i], 5f * 0x1p-23f);
    }
    // f32 keeps what f16 cannot: a value 1e-6 of the range apart from its neighbour
    float[] close = {1f, 1f + 1e-6f, 1e-3f, -7.5e-5f};
    float[] back = MapEncoding.decode(MapEncoding.encode(close, 1, 1, 4, MapEncoding.Kind.F32, MapEncoding.Range.SYMMETRIC));
    for (int i = 0; i < close.length; i++) {
      assertEquals(close[i], back[i], 0x1p-23f, "f32 round trip of " + close[i]);
    }
    assertTrue(back[1] > back[0]);
    Row zeros = MapEncoding.encode(new float[4], 1, 2, 2, MapEncoding.Kind.U8, MapEncoding.Range.UNIT);
    assertEquals(0f, zeros.getFloat(5));
    assertEquals(0f, MapEncoding.decode(zeros)[3]);
  }
}
