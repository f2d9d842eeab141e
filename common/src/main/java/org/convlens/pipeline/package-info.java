/**
 * The whole configuration and how the stages are started from it: {@link
 * org.convlens.pipeline.ConfigLoader} builds the effective configuration (defaults from {@code
 * conf/convlens.conf}, then {@code --conf}, options and {@code --set}; unknown keys refused),
 * {@link org.convlens.pipeline.ConvLensConfig} is the validated aggregate of every stage's
 * settings, and {@link org.convlens.pipeline.Stages} hands each stage only the sections it reads.
 * Layer: the top of the library, above report; it may use every common package except
 * sampledata. It sits here because the aggregate names every stage's settings: a stage never
 * sees it, so no stage depends on another stage's settings.
 */
package org.convlens.pipeline;
