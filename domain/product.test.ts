import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkProductPrice,
  isVisibleInCatalog,
  newProductId,
  objectKeyFor,
  parseObjectKey,
  parseProductAmount,
  parseProductDescription,
  parseProductStars,
  parseProductTitle,
  parseRejectionReason,
  parseShopSlug,
  PRODUCT_ID,
  PRODUCT_STATUSES,
  ProductInputError,
  statusAfterEdit,
} from './product';

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ProductInputError) return error.key;
    throw error;
  }
  return undefined;
};

describe('catalog visibility', () => {
  it('shows active products that are not deleted, and nothing else', () => {
    const shown = PRODUCT_STATUSES.filter((status) => isVisibleInCatalog({ status, deletedAt: null }));
    expect(shown).toEqual(['active']);
    expect(isVisibleInCatalog({ status: 'active', deletedAt: new Date() })).toBe(false);
  });
});

describe('product price', () => {
  it('takes a fiat price, a Stars price, or both, upper-casing the currency', () => {
    expect(checkProductPrice({ priceMinor: 999n, currency: 'usd', priceStars: null })).toEqual({
      priceMinor: 999n,
      currency: 'USD',
      priceStars: null,
    });
    expect(checkProductPrice({ priceMinor: null, currency: null, priceStars: 1 })).toEqual({
      priceMinor: null,
      currency: null,
      priceStars: 1,
    });
    expect(checkProductPrice({ priceMinor: 100_000_000n, currency: 'RUB', priceStars: 10_000 }).priceStars).toBe(
      10_000,
    );
  });

  it('refuses no price at all, a price without its currency and a currency without a price', () => {
    expect(refusal(() => checkProductPrice({ priceMinor: null, currency: null, priceStars: null }))).toBe(
      'product-no-price',
    );
    expect(refusal(() => checkProductPrice({ priceMinor: 100n, currency: null, priceStars: 5 }))).toBe(
      'product-bad-currency',
    );
    expect(refusal(() => checkProductPrice({ priceMinor: null, currency: 'USD', priceStars: 5 }))).toBe(
      'product-bad-currency',
    );
    expect(refusal(() => checkProductPrice({ priceMinor: 100n, currency: 'XTR', priceStars: null }))).toBe(
      'product-bad-currency',
    );
    expect(refusal(() => checkProductPrice({ priceMinor: 100n, currency: 'BTC', priceStars: null }))).toBe(
      'product-bad-currency',
    );
  });

  it('refuses fiat amounts of 0, below 0 or above the cap, and Stars outside 1..10000', () => {
    for (const priceMinor of [0n, -1n, 100_000_001n])
      expect(
        refusal(() => checkProductPrice({ priceMinor, currency: 'USD', priceStars: null })),
        String(priceMinor),
      ).toBe('product-bad-price');
    for (const priceStars of [0, -5, 10_001, 1.5, Number.NaN])
      expect(
        refusal(() => checkProductPrice({ priceMinor: null, currency: null, priceStars })),
        String(priceStars),
      ).toBe('product-stars-out-of-range');
  });
});

describe('prices typed by a seller', () => {
  it("amounts: decimal text in the product's currency, a comma as the decimal point too", () => {
    expect(parseProductAmount(' 9.99 ', 'USD')).toBe(999n);
    expect(parseProductAmount('9,5', 'EUR')).toBe(950n);
    expect(parseProductAmount('10', 'RUB')).toBe(1000n);
    for (const bad of ['', 'abc', '9.999', '-5', '1e3', '9.99 USD', '1.2.3'])
      expect(
        refusal(() => parseProductAmount(bad, 'USD')),
        bad,
      ).toBe('product-bad-price');
  });

  it("Stars: a whole number (the range is checkProductPrice's)", () => {
    expect(parseProductStars(' 250 ')).toBe(250);
    for (const bad of ['', '2.5', '-3', 'ten', '1 000'])
      expect(
        refusal(() => parseProductStars(bad)),
        bad,
      ).toBe('product-bad-stars');
  });
});

describe('editing a product', () => {
  it('sends a product on sale back to review when reviews are on; other statuses stay', () => {
    expect(statusAfterEdit('active', true)).toBe('pending_review');
    expect(statusAfterEdit('active', false)).toBe('active');
    for (const status of ['draft', 'pending_review', 'hidden', 'rejected'] as const)
      expect(statusAfterEdit(status, true)).toBe(status);
  });
});

describe('product texts', () => {
  it('titles: trimmed, whitespace collapsed, 1..100 code points (an emoji is one)', () => {
    expect(parseProductTitle('  Photoshop\n  course  ')).toBe('Photoshop course');
    expect(parseProductTitle('🎨'.repeat(100))).toHaveLength(200);
    expect(refusal(() => parseProductTitle('   '))).toBe('product-bad-title');
    expect(refusal(() => parseProductTitle('x'.repeat(101)))).toBe('product-bad-title');
    expect(refusal(() => parseProductTitle('🎨'.repeat(101)))).toBe('product-bad-title');
  });

  it('descriptions: may be empty, keep line breaks (CRLF → LF), at most 4000 characters', () => {
    expect(parseProductDescription('')).toBe('');
    expect(parseProductDescription(' line one\r\nline two\n')).toBe('line one\nline two');
    expect(parseProductDescription('я'.repeat(4000))).toHaveLength(4000);
    expect(refusal(() => parseProductDescription('я'.repeat(4001)))).toBe('product-bad-description');
  });

  it('rejection reasons: trimmed, 1..500 characters (emoji count as one)', () => {
    expect(parseRejectionReason('  The cover is blurry.\r\nPlease replace it. ')).toBe(
      'The cover is blurry.\nPlease replace it.',
    );
    expect(parseRejectionReason('🙈'.repeat(500))).toHaveLength(1000);
    for (const bad of ['', '  \n ', 'x'.repeat(501)])
      expect(refusal(() => parseRejectionReason(bad))).toBe('review-bad-reason');
  });

  it('shop slugs: 3..32 of a-z, 0-9, -, not at either end; typed in any case', () => {
    expect(parseShopSlug(' My-Shop-42 ')).toBe('my-shop-42');
    expect(parseShopSlug('abc')).toBe('abc');
    expect(parseShopSlug('a'.repeat(32))).toBe('a'.repeat(32));
    for (const bad of ['ab', 'a'.repeat(33), '-shop', 'shop-', 'my_shop', 'мой-магазин', 'my shop', 'shop/..'])
      expect(
        refusal(() => parseShopSlug(bad)),
        bad,
      ).toBe('shop-bad-slug');
  });
});

describe('ids and object keys', () => {
  it('product ids are random, URL-safe and 16 characters', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newProductId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(PRODUCT_ID);
  });

  it('object keys hold the seller, the role and a random UUID, never user text, and parse back', () => {
    const key = objectKeyFor(123456789, 'cover');
    expect(key).toMatch(/^products\/123456789\/cover\/[0-9a-f-]{36}$/);
    expect(objectKeyFor(123456789, 'cover')).not.toBe(key);
    expect(parseObjectKey(key)).toEqual({ sellerId: 123456789, role: 'cover', id: key.split('/')[3] });
    expect(() => objectKeyFor(0, 'file')).toThrow();
    expect(() => objectKeyFor(1.5, 'file')).toThrow();
  });

  it('parseObjectKey refuses any key objectKeyFor did not make', () => {
    const good = objectKeyFor(42, 'file');
    for (const bad of [
      good.replace('/file/', '/other/'),
      good.replace('products/42', 'products/042'),
      `${good}/../x`,
      `../${good}`,
      good.replace(/[0-9a-f]{12}$/, 'report.pdf'),
      'products/42/file/',
      '',
    ])
      expect(parseObjectKey(bad), bad).toBeUndefined();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('file', 'cover', 'preview'),
        (id, role) => {
          expect(parseObjectKey(objectKeyFor(id, role))).toMatchObject({ sellerId: id, role });
        },
      ),
    );
  });
});
