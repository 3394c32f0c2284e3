//! Dictionary-encoding text keys as small integers.
//!
//! A large aggregation on text keys (millions of device × program pairs) hashes and
//! stores every string; on integer keys it needs a fraction of the memory. A
//! dictionary maps each distinct value, in sorted order, to a `UInt32` key, so the
//! keys are the same on every run; [`encode`] and [`decode`] swap a column between
//! its values and its keys, keeping the column's name. [`hex_code`] packs a short
//! hex id (a device id) into one integer that keeps it whole, without a dictionary,
//! and [`hex_text`] unpacks it. [`key_in_pass`] splits a table by key into disjoint
//! passes, so that an aggregation by that key can run one pass at a time;
//! [`passes_for`] says how many passes a table needs.

use polars::prelude::*;

/// The dictionary's key column.
pub const KEY: &str = "__key";

/// Every distinct non-null value of `column`, sorted, with its key in `__key`.
pub fn dictionary(lf: LazyFrame, column: &str) -> LazyFrame {
    lf.select([col(column)])
        .filter(col(column).is_not_null())
        .unique(None, UniqueKeepStrategy::Any)
        .sort([column], Default::default())
        .with_row_index(KEY, None)
        .with_column(col(KEY).cast(DataType::UInt32))
}

fn small_right_side() -> JoinArgs {
    JoinArgs::new(JoinType::Inner).with_build_side(Some(JoinBuildSide::PreferRight))
}

/// Replaces the values of `column` by their keys; rows whose value is not in the
/// dictionary are dropped.
pub fn encode(lf: LazyFrame, dictionary: LazyFrame, column: &str) -> LazyFrame {
    lf.join(dictionary, [col(column)], [col(column)], small_right_side())
        .with_column(col(KEY).alias(column))
        .drop(cols([KEY]))
}

/// [`encode`] with a `dictionary` in memory ([`dictionary`] collected): each value is
/// looked up in a hash map of the dictionary rather than joined with it, which
/// spares a large table a join per row when the dictionary is small (a few
/// thousand programs for millions of viewing rows). Same rows and keys as
/// [`encode`], in the order of `lf`.
///
/// # Errors
/// When `dictionary` lacks `column` (text) or [`KEY`] (`UInt32`), or holds a null
/// value.
pub fn encode_in_memory(
    lf: LazyFrame,
    dictionary: &DataFrame,
    column: &str,
) -> PolarsResult<LazyFrame> {
    let values = dictionary.column(column)?.str()?;
    let keys = dictionary.column(KEY)?.u32()?;
    let mut map: PlHashMap<Box<str>, u32> = PlHashMap::with_capacity(values.len());
    for (value, key) in values.iter().zip(keys.iter()) {
        let (Some(value), Some(key)) = (value, key) else {
            polars_bail!(ComputeError: "the dictionary of `{column}` holds a null");
        };
        map.insert(value.into(), key);
    }
    let keyed = col(column).map(
        move |texts| {
            let keys: UInt32Chunked = texts
                .str()?
                .iter()
                .map(|text| text.and_then(|text| map.get(text).copied()))
                .collect();
            Ok(keys.with_name(texts.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::UInt32)),
    );
    Ok(lf
        .with_column(keyed.alias(column))
        .filter(col(column).is_not_null()))
}

/// Replaces the keys in `column` by their values.
pub fn decode(lf: LazyFrame, dictionary: LazyFrame, column: &str) -> LazyFrame {
    let values = dictionary.select([col(KEY).alias(column), col(column).alias("__value")]);
    lf.join(values, [col(column)], [col(column)], small_right_side())
        .with_column(col("__value").alias(column))
        .drop(cols(["__value"]))
}

/// How many passes of at most about `rows_per_pass` rows `rows` rows need, when
/// [`key_in_pass`] splits them by the last character of a key in `alphabet`: the
/// smallest divisor of the alphabet's length that is enough (so that the passes are
/// of equal size), and at most the alphabet's length.
pub fn passes_for(rows: u64, rows_per_pass: u64, alphabet: &str) -> u32 {
    let characters = alphabet.chars().count().max(1) as u32;
    let wanted = rows.div_ceil(rows_per_pass.max(1));
    (1..=characters)
        .filter(|passes| characters % passes == 0)
        .find(|&passes| u64::from(passes) >= wanted)
        .unwrap_or(characters)
}

/// The pass, out of `passes`, of each text `key` (`UInt32`): i mod `passes` when the
/// key ends in the i-th character of `alphabet`, ASCII letters in either case (so
/// `…A` and `…a` are in the same pass); 0 for a key ending in any other character,
/// and for null, so every row is in exactly one pass. With keys whose last characters
/// are evenly spread (invoice numbers, hex ids), `passes` dividing the alphabet's
/// length gives passes of equal size. Characters of `alphabet` beyond ASCII are not
/// matched. Computed from each key's last byte, without string kernels: a table of
/// 100M keys is split once and cheaply.
pub fn pass_of_key(key: Expr, alphabet: &str, passes: u32) -> Expr {
    let mut pass_of_byte = [0u32; 128];
    for (i, c) in alphabet.chars().enumerate() {
        if c.is_ascii() {
            let pass = i as u32 % passes.max(1);
            pass_of_byte[usize::from(c.to_ascii_lowercase() as u8)] = pass;
            pass_of_byte[usize::from(c.to_ascii_uppercase() as u8)] = pass;
        }
    }
    key.map(
        move |keys| {
            let passes: UInt32Chunked = keys
                .str()?
                .iter()
                .map(|k| {
                    Some(
                        k.and_then(|k| k.as_bytes().last())
                            .filter(|b| b.is_ascii())
                            .map_or(0, |b| pass_of_byte[usize::from(*b)]),
                    )
                })
                .collect();
            Ok(passes.with_name(keys.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::UInt32)),
    )
}

/// Rows of pass `pass` out of `passes` by the last character of `key`, as
/// [`pass_of_key`] places them.
pub fn key_in_pass(key: Expr, alphabet: &str, pass: u32, passes: u32) -> Expr {
    if passes <= 1 {
        // One pass holds every row: no need to look at the keys.
        return lit(true);
    }
    pass_of_key(key, alphabet, passes).eq(lit(pass))
}

/// The most hex digits [`hex_code`] packs: 4 bits of value and 1 of case each.
pub const HEX_CODE_MAX_DIGITS: usize = 12;

/// A text of exactly `digits` hexadecimal characters (at most
/// [`HEX_CODE_MAX_DIGITS`]) as a `UInt64` code that keeps it whole: its value in the
/// high bits and, in the low `digits` bits, which characters are upper-case letters
/// (bit i for the i-th character). Different texts, `0a` and `0A` included, have
/// different codes, and [`hex_text`] gives the text back. Null stays null. Computed
/// without string kernels: an aggregation on the code hashes one integer instead of
/// a text.
///
/// # Errors
/// When the plan runs and a text is not `digits` hex characters (a compute error
/// that shows the text), or `digits` is above the maximum.
pub fn hex_code(text: Expr, digits: usize) -> Expr {
    text.map(
        move |texts| {
            if digits > HEX_CODE_MAX_DIGITS {
                polars_bail!(ComputeError: "hex codes hold at most {HEX_CODE_MAX_DIGITS} digits, not {digits}");
            }
            let texts_ca = texts.str()?;
            let codes = if texts_ca.null_count() == 0 {
                let mut codes = Vec::with_capacity(texts_ca.len());
                for array in texts_ca.downcast_iter() {
                    for text in array.values_iter() {
                        codes.push(hex_code_of(text, digits)?);
                    }
                }
                UInt64Chunked::from_vec(texts.name().clone(), codes)
            } else {
                texts_ca
                    .iter()
                    .map(|t| t.map(|t| hex_code_of(t, digits)).transpose())
                    .collect::<PolarsResult<UInt64Chunked>>()?
                    .with_name(texts.name().clone())
            };
            Ok(codes.into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::UInt64)),
    )
}

/// Each byte's hex value, with bit 4 set for `A`–`F`; 0xFF for a byte that is not a
/// hex digit.
const HEX_NIBBLES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 0x10 | (10 + i as u8);
        i += 1;
    }
    table
};

fn hex_code_of(text: &str, digits: usize) -> PolarsResult<u64> {
    let bytes = text.as_bytes();
    let (mut value, mut upper, mut invalid) = (0u64, 0u64, bytes.len() != digits);
    for (i, &byte) in bytes.iter().take(digits).enumerate() {
        let nibble = HEX_NIBBLES[usize::from(byte)];
        invalid |= nibble == 0xFF;
        upper |= u64::from(nibble >> 4 & 1) << i;
        value = value << 4 | u64::from(nibble & 0xF);
    }
    if invalid {
        polars_bail!(ComputeError: "`{text}` is not {digits} hex digits");
    }
    Ok(value << digits | upper)
}

/// The text of a [`hex_code`] of `digits` digits (`String`); null stays null.
pub fn hex_text(code: Expr, digits: usize) -> Expr {
    code.map(
        move |codes| {
            let mut text = String::with_capacity(digits);
            let texts: StringChunked = codes
                .u64()?
                .iter()
                .map(|c| {
                    c.map(|c| {
                        text.clear();
                        let value = c >> digits;
                        for i in 0..digits {
                            let nibble = (value >> (4 * (digits - 1 - i))) & 0xF;
                            let upper = c >> i & 1 == 1;
                            let digit = b"0123456789abcdef"[nibble as usize];
                            text.push(if upper {
                                digit.to_ascii_uppercase()
                            } else {
                                digit
                            } as char);
                        }
                        text.clone()
                    })
                })
                .collect();
            Ok(texts.with_name(codes.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}

/// The bucket, out of `buckets`, of `key`: its FNV-1a hash (64 bits, over its UTF-8
/// bytes) modulo `buckets`, the same on every run and machine; a null key is in
/// bucket 0.
pub fn stable_bucket(key: Option<&str>, buckets: u32) -> u32 {
    let hash = key.map_or(0, |k| {
        k.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    });
    (hash % u64::from(buckets.max(1))) as u32
}

/// Rows of pass `pass` out of `passes`: those whose text `key` is in bucket `pass`
/// ([`stable_bucket`]). Every row is in exactly one pass and, unlike
/// [`key_in_pass`], the passes are of about equal size whatever the keys look like,
/// for any number of passes: a deduplication or merge by key then runs one pass at
/// a time, its memory a pass's.
pub fn key_hash_in_pass(key: Expr, pass: u32, passes: u32) -> Expr {
    if passes <= 1 {
        return lit(true);
    }
    key.map(
        move |keys| {
            let in_pass: BooleanChunked = keys
                .str()?
                .iter()
                .map(|k| stable_bucket(k, passes) == pass)
                .collect();
            Ok(in_pass.with_name(keys.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `00aB` is value 0x00ab = 171 with the upper-case bit of its 4th character
    /// (bit 3): code 171 · 2⁴ + 8 = 2744; `00ab` is 2736. The texts come back whole.
    #[test]
    fn hex_codes_keep_value_and_case_and_give_the_text_back() -> PolarsResult<()> {
        let texts = df!("id" => [Some("00aB"), Some("00ab"), None, Some("FfFf")])?;
        let codes = texts
            .clone()
            .lazy()
            .select([hex_code(col("id"), 4)])
            .collect()?;
        let values: Vec<Option<u64>> = codes.column("id")?.u64()?.iter().collect();
        assert_eq!(
            values,
            [Some(2744), Some(2736), None, Some(0xFFFF * 16 + 0b0101)]
        );
        let back = codes.lazy().select([hex_text(col("id"), 4)]).collect()?;
        assert!(back.equals_missing(&texts));

        let twelve = df!("id" => ["0123456789aB", "FEDCBA987654"])?;
        let round_trip = twelve
            .clone()
            .lazy()
            .select([hex_text(hex_code(col("id"), 12), 12)])
            .collect()?;
        assert_eq!(round_trip, twelve);
        Ok(())
    }

    #[test]
    fn a_text_that_is_not_the_hex_digits_is_an_error_showing_it() -> PolarsResult<()> {
        for bad in ["00g1", "00a", "00a12", "00 1"] {
            let error = df!("id" => [bad])?
                .lazy()
                .select([hex_code(col("id"), 4)])
                .collect()
                .unwrap_err();
            assert!(error.to_string().contains(&format!("`{bad}`")), "{error}");
        }
        Ok(())
    }

    /// FNV-1a of "a" is 0xaf63dc4c8601ec8c (≡ 6 mod 10, 5 mod 7); of "S000000001"
    /// 0x02174b82241e11e9 (≡ 1 mod 10, 6 mod 7), worked out by hand.
    #[test]
    fn key_hashes_put_every_row_in_exactly_one_pass() -> PolarsResult<()> {
        assert_eq!(stable_bucket(Some("a"), 10), 6);
        assert_eq!(stable_bucket(Some("a"), 7), 5);
        assert_eq!(stable_bucket(Some("S000000001"), 10), 1);
        assert_eq!(stable_bucket(Some("S000000001"), 7), 6);
        assert_eq!(stable_bucket(None, 7), 0);
        let keys: Vec<Option<String>> = (0..1_000)
            .map(|i| (i % 97 != 0).then(|| format!("S{i:09}")))
            .collect();
        let df = df!("key" => keys.clone())?;
        let mut seen = vec![0u32; keys.len()];
        for pass in 0..7 {
            let in_pass = df
                .clone()
                .lazy()
                .select([key_hash_in_pass(col("key"), pass, 7)])
                .collect()?;
            for (i, hit) in in_pass.column("key")?.bool()?.iter().enumerate() {
                if hit == Some(true) {
                    seen[i] += 1;
                    assert_eq!(stable_bucket(keys[i].as_deref(), 7), pass);
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "each row in one pass");
        Ok(())
    }

    #[test]
    fn encodes_in_sorted_order_and_decodes_back() -> PolarsResult<()> {
        let df = df!("device" => ["b", "a", "b", "c"], "n" => [1, 2, 3, 4])?;
        let dict = dictionary(df.clone().lazy(), "device").collect()?;
        assert_eq!(crate::values::texts(&dict, "device", "-")?, ["a", "b", "c"]);
        let encoded = encode(df.lazy(), dict.clone().lazy(), "device")
            .sort(["n"], Default::default())
            .collect()?;
        assert_eq!(encoded.column("device")?.dtype(), &DataType::UInt32);
        assert_eq!(crate::values::u64s(&encoded, "device", 99)?, [1, 0, 1, 2]);
        let decoded = decode(encoded.lazy(), dict.lazy(), "device")
            .sort(["n"], Default::default())
            .collect()?;
        assert_eq!(
            crate::values::texts(&decoded, "device", "-")?,
            ["b", "a", "b", "c"]
        );
        Ok(())
    }

    /// By hand: known values get their keys, an unknown value and a null drop their
    /// rows, as the join of `encode` drops them, and the order of the rows stays.
    #[test]
    fn encoding_in_memory_gives_the_rows_and_keys_of_the_join() -> PolarsResult<()> {
        let df = df!(
            "p" => [Some("b"), None, Some("a"), Some("z"), Some("b"), Some("c")],
            "n" => [1, 2, 3, 4, 5, 6],
        )?;
        let dict = df!("p" => ["a", "b", "c"], KEY => [0u32, 1, 2])?;
        let in_memory = encode_in_memory(df.clone().lazy(), &dict, "p")?.collect()?;
        let expected = df!("p" => [1u32, 0, 1, 2], "n" => [1, 3, 5, 6])?;
        crate::assert_frame_eq!(in_memory, expected);
        let joined = encode(df.lazy(), dict.lazy(), "p")
            .sort(["n"], Default::default())
            .collect()?;
        crate::assert_frame_eq!(joined, expected);
        Ok(())
    }

    #[test]
    fn passes_divide_the_alphabet_and_cover_the_rows() {
        // Digits: 1, 2, 5 or 10 passes.
        assert_eq!(passes_for(0, 100, "0123456789"), 1);
        assert_eq!(passes_for(100, 100, "0123456789"), 1);
        assert_eq!(passes_for(101, 100, "0123456789"), 2);
        assert_eq!(passes_for(300, 100, "0123456789"), 5);
        assert_eq!(passes_for(501, 100, "0123456789"), 10);
        assert_eq!(passes_for(5_000, 100, "0123456789"), 10);
        // Hex digits: powers of two up to 16.
        assert_eq!(passes_for(300, 100, "0123456789abcdef"), 4);
        assert_eq!(passes_for(900, 100, "0123456789abcdef"), 16);
    }

    #[test]
    fn every_key_falls_in_exactly_one_pass() -> PolarsResult<()> {
        let df =
            df!("k" => [Some("489434"), Some("C489449"), Some("A5"), Some("X"), None, Some("10")])?;
        let mut passes_of_rows = vec![Vec::new(); df.height()];
        for pass in 0..5 {
            let out = df
                .clone()
                .lazy()
                .select([key_in_pass(col("k"), "0123456789", pass, 5).alias("in")])
                .collect()?;
            for (row, inside) in out.column("in")?.bool()?.iter().enumerate() {
                if inside == Some(true) {
                    passes_of_rows[row].push(pass);
                }
            }
        }
        // Last digits 4, 9, 5 → passes 4, 4, 0; `X` and null → 0; 0 → 0.
        assert_eq!(passes_of_rows, [[4], [4], [0], [0], [0], [0]]);
        Ok(())
    }

    /// Hex ids end in letters of either case, and non-ASCII or empty keys go to pass 0.
    #[test]
    fn pass_of_key_matches_letters_in_either_case() -> PolarsResult<()> {
        let df = df!("k" => [Some("00a"), Some("00A"), Some("0f"), Some("F"), Some("7"), Some("é"), Some(""), Some("g"), None])?;
        let out = df
            .lazy()
            .select([pass_of_key(col("k"), "0123456789abcdef", 4)])
            .collect()?;
        // a is the 11th character (10 mod 4 = 2), f the 16th (15 mod 4 = 3), 7 → 3.
        assert_eq!(
            crate::values::u64s(&out, "k", 99)?,
            [2, 2, 3, 3, 3, 0, 0, 0, 0]
        );
        Ok(())
    }
}
