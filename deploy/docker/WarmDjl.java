/*
 * Starts DJL's PyTorch engine once and exits, so that DJL extracts libtorch (about 430 MB) into
 * $DJL_CACHE_DIR while the image is built instead of in every executor at run time.
 *
 * Run as a single-file program (JDK 11+), with the application jar and Spark's jars (for SLF4J)
 * on the class path:
 *   DJL_CACHE_DIR=/opt/convlens/djl-cache java -Dai.djl.offline=true \
 *       -cp "/opt/convlens/convlens-app.jar:/opt/spark/jars/*" WarmDjl.java
 *
 * Not part of the Maven build; used by deploy/docker/Dockerfile only.
 */
public class WarmDjl {
  public static void main(String[] args) {
    ai.djl.engine.Engine engine = ai.djl.engine.Engine.getEngine("PyTorch");
    System.out.println("DJL engine " + engine.getEngineName() + " " + engine.getVersion()
        + ", libtorch in " + ai.djl.pytorch.jni.LibUtils.getLibtorchPath());
  }
}
