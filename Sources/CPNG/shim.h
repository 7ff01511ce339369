#ifndef CAIRN_CPNG_SHIM_H
#define CAIRN_CPNG_SHIM_H
#include <stdlib.h>
#include <string.h>
#include <png.h>

/* Decodes a whole PNG held in memory to 8-bit RGB with libpng's simplified API (which
   handles palettes, grey, alpha, 16-bit samples and interlacing). The pixels are malloc'ed;
   the caller frees them. Returns 0 on success, else -1 with `message` (if not NULL) set to
   libpng's reason, truncated to `message_size` bytes. */
static inline int cairn_png_decode_rgb(const unsigned char *data, size_t size,
                                       unsigned char **pixels, int *width, int *height,
                                       char *message, size_t message_size) {
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  *pixels = NULL;
  if (!png_image_begin_read_from_memory(&image, data, size)) {
    if (message && message_size) { strncpy(message, image.message, message_size - 1); message[message_size - 1] = 0; }
    png_image_free(&image);
    return -1;
  }
  image.format = PNG_FORMAT_RGB;
  size_t bytes = (size_t)image.width * image.height * 3;
  unsigned char *buffer = (unsigned char *)malloc(bytes > 0 ? bytes : 1);
  if (!buffer) {
    png_image_free(&image);
    return -1;
  }
  if (!png_image_finish_read(&image, NULL, buffer, 0, NULL)) {
    if (message && message_size) { strncpy(message, image.message, message_size - 1); message[message_size - 1] = 0; }
    free(buffer);
    png_image_free(&image);
    return -1;
  }
  *pixels = buffer;
  *width = (int)image.width;
  *height = (int)image.height;
  png_image_free(&image);
  return 0;
}
#endif
