import { z } from 'zod';

/** The narrative the LLM is asked for, validated before anything reads it. */
export const narrativeSchema = z.object({
  headline: z.string().min(1).max(200),
  summary: z.string().min(1).max(2_000),
  highlights: z.array(z.string().min(1).max(400)).max(8),
  risks: z.array(z.string().min(1).max(400)).max(8),
  recommendations: z
    .array(
      z.object({
        title: z.string().min(1).max(200),
        detail: z.string().min(1).max(800),
        priority: z.enum(['high', 'medium', 'low']),
      }),
    )
    .max(8),
});

export type Narrative = z.infer<typeof narrativeSchema>;

/**
 * The same shape as a JSON Schema for the Messages API `output_config.format` (structured outputs):
 * plain types, every property required, no additional properties. Length limits stay in zod.
 */
export const narrativeJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['headline', 'summary', 'highlights', 'risks', 'recommendations'],
  properties: {
    headline: { type: 'string', description: 'One sentence, the most important fact of the period' },
    summary: { type: 'string', description: 'Two to four sentences for a founder reading on a phone' },
    highlights: { type: 'array', items: { type: 'string' } },
    risks: { type: 'array', items: { type: 'string' } },
    recommendations: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['title', 'detail', 'priority'],
        properties: {
          title: { type: 'string' },
          detail: { type: 'string' },
          priority: { type: 'string', enum: ['high', 'medium', 'low'] },
        },
      },
    },
  },
} as const;
