import { describe, expect, it } from 'vitest';
import {
  campaignKeywordsSchema,
  findKeywordConflicts,
  matchCampaign,
  normalizeKeyword,
} from '../../../bot/flows/index.ts';

const campaigns = [
  { id: 'help', keywords: ['Help Package'], name: 'Help Package' },
  { id: 'promo', keywords: ['Promo', 'Oferta Especial'], name: 'Promotions' },
];

describe('matchCampaign', () => {
  it('matches the whole message ignoring case, spacing and final punctuation', () => {
    for (const text of [
      'Help Package',
      'help package',
      'HELP  PACKAGE!',
      '  help package?  ',
      'Help\nPackage.',
    ]) {
      expect(matchCampaign(campaigns, text)?.id).toBe('help');
    }
  });

  it('matches ignoring accents, on either side', () => {
    expect(matchCampaign(campaigns, 'OFERTA ESPECIÁL')?.id).toBe('promo');
    expect(matchCampaign([{ id: 'cafe', keywords: ['Café'] }], 'cafe')?.id).toBe('cafe');
  });

  it('does not match a keyword inside a sentence, or a part of it', () => {
    expect(matchCampaign(campaigns, 'I need Help Package')).toBeUndefined();
    expect(matchCampaign(campaigns, 'Help')).toBeUndefined();
    expect(matchCampaign(campaigns, 'Help Packages')).toBeUndefined();
  });

  it('matches nothing for an empty or punctuation-only message', () => {
    expect(matchCampaign(campaigns, '')).toBeUndefined();
    expect(matchCampaign(campaigns, ' !? ')).toBeUndefined();
    expect(matchCampaign([{ id: 'bad', keywords: ['!'] }], '!')).toBeUndefined();
  });

  it('returns the campaign object itself, with its other fields', () => {
    expect(matchCampaign(campaigns, 'promo')).toBe(campaigns[1]);
  });
});

describe('findKeywordConflicts', () => {
  it('finds a keyword claimed by two campaigns, however each wrote it', () => {
    const conflicts = findKeywordConflicts([
      ...campaigns,
      { id: 'new', keywords: ['HELP PACKAGE!', 'Novidades'] },
    ]);
    expect(conflicts).toEqual([
      { keyword: 'help package', campaignIds: ['help', 'new'], written: ['Help Package', 'HELP PACKAGE!'] },
    ]);
  });

  it('finds accent-only differences', () => {
    const conflicts = findKeywordConflicts([
      { id: 'a', keywords: ['Promoção'] },
      { id: 'b', keywords: ['promocao'] },
      { id: 'c', keywords: ['PROMOÇÃO'] },
    ]);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]!.campaignIds).toEqual(['a', 'b', 'c']);
  });

  it('reports nothing for distinct keywords or a keyword repeated within one campaign', () => {
    expect(findKeywordConflicts(campaigns)).toEqual([]);
    expect(findKeywordConflicts([{ id: 'a', keywords: ['Hi', 'HI!'] }])).toEqual([]);
  });
});

describe('campaign keywords', () => {
  it('normalizes as matching compares', () => {
    expect(normalizeKeyword('  HÉLP   Package! ')).toBe('help package');
  });

  it('refuses an empty list and keywords without a word', () => {
    expect(campaignKeywordsSchema.safeParse(['Help']).success).toBe(true);
    const empty = campaignKeywordsSchema.safeParse([]);
    expect(empty.error?.issues[0]?.message).toBe('a campaign needs at least one keyword');
    const bare = campaignKeywordsSchema.safeParse(['ok', '?!']);
    expect(bare.error?.issues[0]?.path).toEqual([1]);
    expect(bare.error?.issues[0]?.message).toMatch(/must contain a word/);
  });
});
