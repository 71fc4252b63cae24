/* Which layers a pipeline stage owns and how many elements one rank holds of each: the index
 * space 0..L+2 puts the embedding at 0, the transformer layers at 1..L, the lm_head at L+1 and
 * the final norm at L+2; only the transformer layers are divided among the stages. */
#include "checkpoint/model.h"

void mlps_checkpoint_stage_layers(const mlps_checkpoint_layout *layout, uint64_t pp,
                                  uint64_t *first, uint64_t *last)
{
    uint64_t layers = layout->params.num_layers, stages = layout->params.pipeline;
    uint64_t each = layers / stages, longer = layers % stages;
    if (pp < longer) {
        *first = pp * (each + 1) + 1;
        *last = *first + each;
    } else {
        *first = longer * (each + 1) + (pp - longer) * each + 1;
        *last = *first + each - 1;
    }
    if (pp == stages - 1)
        *last = layers + 2;
    if (pp == 0)
        *first = 0;
}

uint64_t mlps_checkpoint_layer_elements(const mlps_checkpoint_layout *layout, uint64_t layer)
{
    uint64_t layers = layout->params.num_layers;
    if (layer == 0 || layer == layers + 1)
        return layout->embedding_elements;
    if (layer == layers + 2)
        return layout->final_norm_elements;
    if (layer > layers + 2)
        return 0;
    return layout->transformer_elements;
}
