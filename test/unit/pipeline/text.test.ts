import { describe, expect, it } from 'vitest';
import { smsKeyword, keywordReply } from '../../../bridge/inbox/keywords.ts';
import { defaultFilename, msgtypeFor } from '../../../bridge/inbox/content.ts';
import { plainText, stripReplyFallback } from '../../../bridge/outbox/plain-text.ts';

describe('SMS keywords', () => {
  it('recognises a message that is one keyword, whatever its case and final punctuation', () => {
    for (const word of [
      'STOP',
      'stop',
      'Stop!',
      ' unsubscribe ',
      'CANCEL',
      'END',
      'QUIT',
      'REVOKE',
      'OPTOUT',
      'STOPALL',
    ])
      expect(smsKeyword(word)).toBe('stop');
    for (const word of ['START', 'yes', 'Unstop']) expect(smsKeyword(word)).toBe('start');
    for (const word of ['HELP', 'info?']) expect(smsKeyword(word)).toBe('help');
  });

  it('ignores keywords inside longer messages', () => {
    expect(smsKeyword('please stop calling')).toBeUndefined();
    expect(smsKeyword('yes please')).toBeUndefined();
    expect(smsKeyword(undefined)).toBeUndefined();
  });

  it("uses the space's texts where set", () => {
    expect(keywordReply('help', 'Orders', { help: 'Call us' })).toBe('Call us');
    expect(keywordReply('stop', 'Orders', {})).toMatch(/^Orders: you are unsubscribed/);
  });
});

describe('agent text for phones', () => {
  it('strips the quoted original of a reply', () => {
    expect(stripReplyFallback('> <@a:b> quoted\n> more\n\nanswer')).toBe('answer');
    expect(stripReplyFallback('no quote')).toBe('no quote');
  });

  it('flattens HTML and keeps link targets', () => {
    expect(
      plainText({
        body: 'x',
        format: 'org.matrix.custom.html',
        formatted_body:
          '<mx-reply><blockquote>old</blockquote></mx-reply><h1>Title</h1><p>See <a href="https://a.example/">here</a></p>',
      }),
    ).toBe('Title\n\nSee here (https://a.example/)');
  });
});

describe('media from customers', () => {
  it('chooses the Matrix msgtype and a file name from the MIME type', () => {
    expect(msgtypeFor('image/jpeg')).toBe('m.image');
    expect(msgtypeFor('audio/ogg; codecs=opus')).toBe('m.audio');
    expect(msgtypeFor('video/mp4')).toBe('m.video');
    expect(msgtypeFor('application/pdf')).toBe('m.file');
    expect(defaultFilename('image/jpeg')).toBe('image.jpeg');
    expect(defaultFilename('audio/ogg; codecs=opus')).toBe('audio.ogg');
    expect(defaultFilename('application/vnd.ms-excel')).toBe('file.msexcel');
  });
});
