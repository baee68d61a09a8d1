/*
 * A stand-in for miniaudio.h, owned by quanteval.
 *
 * Ollama's Go module omits llama.cpp's vendor/ headers. The only user of miniaudio in
 * the CPU build is mtmd-helper.cpp, which decodes audio input for multimodal models.
 * quanteval serves text models only, so this header declares just what that file
 * uses and makes every call fail: audio input is disabled, nothing else changes.
 * mtmd-helper.cpp defines MA_API as static before including this file.
 */
#ifndef QUANTEVAL_MINIAUDIO_STANDIN_H
#define QUANTEVAL_MINIAUDIO_STANDIN_H

#include <stddef.h>
#include <stdint.h>

#ifndef MA_API
#define MA_API static
#endif

typedef int ma_result;
typedef uint64_t ma_uint64;
typedef uint32_t ma_uint32;

#define MA_SUCCESS 0
#define MA_NOT_IMPLEMENTED -29

typedef enum { ma_format_unknown = 0, ma_format_f32 = 5 } ma_format;
typedef enum { ma_encoding_format_unknown = 0, ma_encoding_format_wav = 1 } ma_encoding_format;

typedef struct { ma_format format; ma_uint32 channels; ma_uint32 sampleRate; } ma_decoder_config;
typedef struct { int unused; } ma_decoder;
typedef struct { ma_encoding_format encodingFormat; ma_format format; ma_uint32 channels; ma_uint32 sampleRate; } ma_encoder_config;
typedef struct { int unused; } ma_encoder;

MA_API inline ma_decoder_config ma_decoder_config_init(ma_format f, ma_uint32 ch, ma_uint32 rate) {
    ma_decoder_config c; c.format = f; c.channels = ch; c.sampleRate = rate; return c;
}
MA_API inline ma_result ma_decoder_init_memory(const void *data, size_t size, const ma_decoder_config *cfg, ma_decoder *d) {
    (void)data; (void)size; (void)cfg; (void)d; return MA_NOT_IMPLEMENTED;
}
MA_API inline ma_result ma_decoder_get_length_in_pcm_frames(ma_decoder *d, ma_uint64 *n) {
    (void)d; if (n) *n = 0; return MA_NOT_IMPLEMENTED;
}
MA_API inline ma_result ma_decoder_read_pcm_frames(ma_decoder *d, void *out, ma_uint64 n, ma_uint64 *read) {
    (void)d; (void)out; (void)n; if (read) *read = 0; return MA_NOT_IMPLEMENTED;
}
MA_API inline ma_result ma_decoder_uninit(ma_decoder *d) { (void)d; return MA_SUCCESS; }
MA_API inline ma_encoder_config ma_encoder_config_init(ma_encoding_format e, ma_format f, ma_uint32 ch, ma_uint32 rate) {
    ma_encoder_config c; c.encodingFormat = e; c.format = f; c.channels = ch; c.sampleRate = rate; return c;
}

#endif
