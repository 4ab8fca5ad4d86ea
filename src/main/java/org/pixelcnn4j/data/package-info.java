/**
 * Reading image data sets for PixelCNN models: folders of PNG or JPEG images and IDX files
 * ({@link org.pixelcnn4j.data.ImageSource}), converted to a model's channels and values
 * ({@link org.pixelcnn4j.data.ImageFormat}), with a seeded training/validation split
 * ({@link org.pixelcnn4j.data.DataSplit}).
 */
package org.pixelcnn4j.data;
