/**
 * Inputs, from a path on any Hadoop filesystem to the tensor a model sees: the dataset layouts
 * ({@link org.convlens.data.ImageSource}, picked by {@link org.convlens.data.ImageSources}:
 * CIFAR, ImageNet train and val, plain folders, CSV manifests), their listing ({@link
 * org.convlens.data.InputSchema}, one row per input, listing errors included), reading bytes on
 * an executor with a size guard ({@link org.convlens.data.InputReader}), decoding as PIL does
 * ({@link org.convlens.data.ImageDecoder}), the model's preprocessing reproduced to the bit
 * ({@link org.convlens.data.Preprocessor}), the error codes an unusable input gets ({@link
 * org.convlens.data.ErrorKind}, {@link org.convlens.data.InputException}) and the pixel-array
 * operations the stages share ({@link org.convlens.data.ImageOps}, {@link
 * org.convlens.data.Images}). Layer: above util, config and model, the only ConvLens packages it
 * may use (model for {@link org.convlens.model.ModelDescription}'s preprocessing); model never
 * uses it ({@code LayersTest}).
 */
package org.convlens.data;
