#ifndef CAIRN_CTURBOJPEG_SHIM_H
#define CAIRN_CTURBOJPEG_SHIM_H
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

/* Decodes a whole JPEG held in memory to 8-bit RGB with libjpeg-turbo's TurboJPEG API.
   The pixels are malloc'ed; the caller frees them. Returns 0 on success, else -1 with
   `message` (if not NULL) set to TurboJPEG's reason, truncated to `message_size` bytes. */
static inline int cairn_jpeg_decode_rgb(const unsigned char *data, size_t size,
                                        unsigned char **pixels, int *width, int *height,
                                        char *message, size_t message_size) {
  *pixels = NULL;
  tjhandle handle = tjInitDecompress();
  if (!handle) {
    if (message && message_size) { strncpy(message, tjGetErrorStr2(NULL), message_size - 1); message[message_size - 1] = 0; }
    return -1;
  }
  int w = 0, h = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(handle, data, (unsigned long)size, &w, &h, &subsampling, &colorspace) != 0
      || w <= 0 || h <= 0) {
    if (message && message_size) { strncpy(message, tjGetErrorStr2(handle), message_size - 1); message[message_size - 1] = 0; }
    tjDestroy(handle);
    return -1;
  }
  unsigned char *buffer = (unsigned char *)malloc((size_t)w * h * 3);
  if (!buffer) {
    tjDestroy(handle);
    return -1;
  }
  /* Accurate DCT: the same bytes give the same pixels on every machine. */
  if (tjDecompress2(handle, data, (unsigned long)size, buffer, w, 0, h, TJPF_RGB, TJFLAG_ACCURATEDCT) != 0) {
    if (message && message_size) { strncpy(message, tjGetErrorStr2(handle), message_size - 1); message[message_size - 1] = 0; }
    free(buffer);
    tjDestroy(handle);
    return -1;
  }
  tjDestroy(handle);
  *pixels = buffer;
  *width = w;
  *height = h;
  return 0;
}
#endif
