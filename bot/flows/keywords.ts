import { z } from 'zod';
import { fold } from './text.ts';

/**
 * Campaign keywords and handover keywords are whole messages, compared after fold(): case, accents,
 * repeated spaces and final ! ? . , ; : … do not count, so "HELP  PACKAGE!" starts the campaign with
 * the keyword "Help Package" but "I need Help Package" does not (a keyword is not searched for inside
 * a sentence: that would start campaigns in the middle of unrelated conversations).
 */

/** Words that ask for a person from any node of any flow, unless the configuration says otherwise. */
export const DEFAULT_HANDOVER_KEYWORDS: readonly string[] = ['agent', 'human'];

/** The form in which keywords are compared and stored for uniqueness checks. */
export function normalizeKeyword(keyword: string): string {
  return fold(keyword);
}

/** True when the whole message is one of the keywords. */
export function isKeyword(text: string, keywords: readonly string[]): boolean {
  const folded = fold(text);
  return folded !== '' && keywords.some((k) => fold(k) === folded);
}

/** A campaign's keywords as the provisioning API accepts them. */
export const campaignKeywordsSchema = z
  .array(
    z
      .string()
      .max(100, 'must be at most 100 characters')
      .refine((k) => fold(k) !== '', 'must contain a word (case, accents and punctuation do not count)'),
  )
  .min(1, 'a campaign needs at least one keyword')
  .meta({
    description:
      'Whole messages that start the campaign, compared ignoring case, accents, repeated spaces and final punctuation.',
  });

export interface KeywordCampaign {
  id: string;
  keywords: readonly string[];
}

/** The campaign whose keyword is the whole message; the first in the given order if several are. */
export function matchCampaign<C extends KeywordCampaign>(
  campaigns: readonly C[],
  text: string,
): C | undefined {
  const folded = fold(text);
  if (!folded) return undefined;
  return campaigns.find((c) => c.keywords.some((k) => fold(k) === folded));
}

export interface KeywordConflict {
  /** The keyword as compared (folded). */
  keyword: string;
  /** The campaigns (ids, in the given order) that all claim it. */
  campaignIds: string[];
  /** How each of them wrote it, in the same order. */
  written: string[];
}

/**
 * Keywords claimed by more than one campaign of one sender (a message could only start one of them):
 * the provisioning API refuses to create or change a campaign into such a conflict.
 */
export function findKeywordConflicts(campaigns: readonly KeywordCampaign[]): KeywordConflict[] {
  const claims = new Map<string, { campaignIds: string[]; written: string[] }>();
  for (const campaign of campaigns) {
    for (const keyword of campaign.keywords) {
      const folded = fold(keyword);
      if (!folded) continue;
      const claim = claims.get(folded) ?? { campaignIds: [], written: [] };
      if (claim.campaignIds.includes(campaign.id)) continue;
      claim.campaignIds.push(campaign.id);
      claim.written.push(keyword);
      claims.set(folded, claim);
    }
  }
  return [...claims]
    .filter(([, claim]) => claim.campaignIds.length > 1)
    .map(([keyword, claim]) => ({ keyword, ...claim }));
}
