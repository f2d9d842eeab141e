package org.convlens.attribution;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.convlens.config.Choice;

/**
 * How an attribution map is stored in a Parquet column: a struct of its shape, an
 * encoding and a linear transform, so that the real value of element {@code q} is {@code offset +
 * scale * decode(q)} with {@code decode} = {@code q/255} ({@code u8}), {@code q/127} ({@code s8},
 * signed), the IEEE half-precision value ({@code f16}) or the IEEE single-precision value ({@code
 * f32}). Elements are channel-major, then row, then column. Documented in {@code
 * docs/parquet-schema.md}.
 */
public final class MapEncoding {
  public static final StructType STRUCT =
      new StructType()
          .add("channels", DataTypes.IntegerType, false)
          .add("height", DataTypes.IntegerType, false)
          .add("width", DataTypes.IntegerType, false)
          .add("encoding", DataTypes.StringType, false)
          .add("offset", DataTypes.FloatType, false)
          .add("scale", DataTypes.FloatType, false)
          .add("data", DataTypes.BinaryType, false);

  /** The configured storage precision. */
  public enum Kind implements Choice {
    /** 8 bits per element: u8 for one-signed maps, s8 for signed ones. */
    U8("u8"),
    /** IEEE 754 half precision (16 bits) per element. */
    F16("f16"),
    /**
     * IEEE 754 single precision (32 bits) per element: the computed map to float rounding (about
     * 1e-7 of its range), for comparing with another implementation; 4× the bytes of u8.
     */
    F32("f32");

    private final String code;

    Kind(String code) {
      this.code = code;
    }

    @Override
    public String code() {
      return code;
    }
  }

  /** How the values are brought to the stored range. */
  public enum Range {
    /** Non-negative maps: offset 0, scale = the maximum (stored in [0, 1]). */
    UNIT,
    /** Any map, min–max: offset = min, scale = max − min (stored in [0, 1]). */
    MIN_MAX,
    /** Signed maps: offset 0, scale = max |v| (stored in [−1, 1]; s8 in 8-bit mode). */
    SYMMETRIC
  }

  private MapEncoding() {}

  /** Encodes {@code values} (channels×height×width) as a {@link #STRUCT} row. */
  public static Row encode(float[] values, int channels, int height, int width, Kind kind, Range range) {
    if (values.length != channels * height * width) {
      throw new IllegalArgumentException(values.length + " values for a " + channels + "×" + height
          + "×" + width + " map");
    }
    float min = Float.POSITIVE_INFINITY;
    float max = Float.NEGATIVE_INFINITY;
    float maxAbs = 0;
    for (float v : values) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("map has a non-finite value " + v);
      }
      min = Math.min(min, v);
      max = Math.max(max, v);
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    float offset;
    float scale;
    switch (range) {
      case UNIT -> {
        offset = 0;
        scale = Math.max(max, 0);
      }
      case MIN_MAX -> {
        offset = min;
        scale = max - min;
      }
      default -> {
        offset = 0;
        scale = maxAbs;
      }
    }
    boolean signed = range == Range.SYMMETRIC;
    String encoding;
    byte[] data;
    if (kind == Kind.F32) {
      encoding = "f32";
      data = new byte[values.length * 4];
      for (int i = 0; i < values.length; i++) {
        int bits = Float.floatToRawIntBits(scale == 0 ? 0 : (values[i] - offset) / scale);
        for (int b = 0; b < 4; b++) {
          data[4 * i + b] = (byte) (bits >> (8 * b)); // little-endian, as f16
        }
      }
    } else if (kind == Kind.F16) {
      encoding = "f16";
      data = new byte[values.length * 2];
      for (int i = 0; i < values.length; i++) {
        short h = toHalf(scale == 0 ? 0 : (values[i] - offset) / scale);
        data[2 * i] = (byte) h; // little-endian
        data[2 * i + 1] = (byte) (h >> 8);
      }
    } else {
      encoding = signed ? "s8" : "u8";
      data = new byte[values.length];
      float levels = signed ? 127 : 255;
      for (int i = 0; i < values.length; i++) {
        float unit = scale == 0 ? 0 : (values[i] - offset) / scale;
        int q = Math.round(unit * levels);
        q = signed ? Math.max(-127, Math.min(127, q)) : Math.max(0, Math.min(255, q));
        data[i] = (byte) q;
      }
    }
    return RowFactory.create(channels, height, width, encoding, offset, scale, data);
  }

  /** The real values of a stored map (the inverse of {@link #encode}, up to quantisation). */
  public static float[] decode(Row map) {
    String encoding = map.getString(3);
    float offset = map.getFloat(4);
    float scale = map.getFloat(5);
    byte[] data = (byte[]) map.get(6);
    int n = map.getInt(0) * map.getInt(1) * map.getInt(2);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      float unit = switch (encoding) {
        case "u8" -> (data[i] & 0xFF) / 255f;
        case "s8" -> data[i] / 127f;
        case "f16" -> fromHalf((short) ((data[2 * i] & 0xFF) | (data[2 * i + 1] << 8)));
        case "f32" -> Float.intBitsToFloat((data[4 * i] & 0xFF) | (data[4 * i + 1] & 0xFF) << 8
            | (data[4 * i + 2] & 0xFF) << 16 | data[4 * i + 3] << 24);
        default -> throw new IllegalArgumentException("unknown map encoding " + encoding);
      };
      v[i] = offset + scale * unit;
    }
    return v;
  }

  /** float → IEEE 754 binary16, round to nearest even (Java 17 has no Float.floatToFloat16). */
  static short toHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xFF;
    int mant = bits & 0x7FFFFF;
    if (exp == 0xFF) {
      return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1F) {
      return (short) (sign | 0x7C00); // overflow → infinity
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign; // underflow → signed zero
      }
      mant |= 0x800000; // subnormal: add the implicit bit, then shift
      int shift = 14 - e;
      int half = mant >> shift;
      int rest = mant & ((1 << shift) - 1);
      int midpoint = 1 << (shift - 1);
      if (rest > midpoint || (rest == midpoint && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >> 13);
    int rest = mant & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
      half++; // may carry into the exponent, which is still correct rounding
    }
    return (short) (sign | half);
  }

  static float fromHalf(short h) {
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant / 1024f / 16384f; // subnormal: mant × 2^-24
      return sign != 0 ? -v : v;
    }
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }
}
