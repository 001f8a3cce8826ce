//! Postgres `numeric` in binary form <-> exact decimal text. Floats would lose digits,
//! so the value travels as text (`-12.3400`, `NaN`, `Infinity`) in the neutral model.
//! Binary layout: ndigits, weight (of the first base-10000 digit), sign, dscale (digits
//! after the point), then the base-10000 digits.

const POSITIVE: u16 = 0x0000;
const NEGATIVE: u16 = 0x4000;
const NAN: u16 = 0xC000;
const PLUS_INFINITY: u16 = 0xD000;
const MINUS_INFINITY: u16 = 0xF000;

fn read_u16(buf: &[u8], at: usize) -> Result<u16, String> {
    buf.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| "numeric value is truncated".to_string())
}

/// Binary numeric -> decimal text with exactly `dscale` digits after the point.
pub(super) fn decode(buf: &[u8]) -> Result<String, String> {
    let ndigits = read_u16(buf, 0)? as usize;
    let weight = read_u16(buf, 2)? as i16 as i64;
    let sign = read_u16(buf, 4)?;
    let dscale = read_u16(buf, 6)? as usize;
    match sign {
        NAN => return Ok("NaN".into()),
        PLUS_INFINITY => return Ok("Infinity".into()),
        MINUS_INFINITY => return Ok("-Infinity".into()),
        POSITIVE | NEGATIVE => {}
        other => return Err(format!("numeric value has an unknown sign {other:#x}")),
    }
    let digits: Vec<u16> = (0..ndigits)
        .map(|i| read_u16(buf, 8 + 2 * i))
        .collect::<Result<_, _>>()?;
    if digits.iter().any(|d| *d > 9999) {
        return Err("numeric value has a digit out of range".into());
    }
    let digit = |i: i64| {
        if i >= 0 && (i as usize) < digits.len() {
            digits[i as usize]
        } else {
            0
        }
    };
    let mut out = String::with_capacity(8 + 4 * ndigits + dscale);
    // The integer part without leading zeros: Postgres never sends a zero first digit,
    // but a value that has one still means the same number.
    let first_nonzero = (0..=weight).find(|&i| digit(i) != 0);
    match first_nonzero {
        None => out.push('0'),
        Some(first) => {
            out.push_str(&digit(first).to_string());
            for i in first + 1..=weight {
                out.push_str(&format!("{:04}", digit(i)));
            }
        }
    }
    if dscale > 0 {
        out.push('.');
        let start = out.len();
        let mut i = weight + 1;
        while out.len() - start < dscale {
            out.push_str(&format!("{:04}", digit(i)));
            i += 1;
        }
        out.truncate(start + dscale);
    }
    // No `-0` (nor `-0.00` from digits past the scale): zero, as Postgres prints it.
    if sign == NEGATIVE && out.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        out.insert(0, '-');
    }
    Ok(out)
}

/// Decimal text (`-12.34`, `1e-3`, `NaN`, `Infinity`) -> binary numeric.
pub(super) fn encode(text: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let bad = || format!("{text:?} is not a decimal number");
    let t = text.trim();
    let special = match t.to_ascii_lowercase().as_str() {
        "nan" => Some(NAN),
        "infinity" | "+infinity" | "inf" | "+inf" => Some(PLUS_INFINITY),
        "-infinity" | "-inf" => Some(MINUS_INFINITY),
        _ => None,
    };
    if let Some(sign) = special {
        for v in [0u16, 0, sign, 0] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        return Ok(());
    }
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i64>().map_err(|_| bad())?),
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    if exponent.abs() > 100_000 {
        return Err(format!("{text:?} is out of the range of numeric"));
    }
    // All digits, and where the point falls among them after the exponent.
    let all: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    let point = int.len() as i64 + exponent;
    let scale = (all.len() as i64 - point).max(0);
    if scale > 0x3FFF {
        return Err(format!(
            "{text:?} has more digits after the point than numeric keeps"
        ));
    }
    // Digit at decimal position p (0 = first digit before the point, negative after).
    let at = |p: i64| {
        let i = point - 1 - p;
        if i >= 0 && (i as usize) < all.len() {
            all[i as usize] as u16
        } else {
            0
        }
    };
    // Base-10000 groups aligned so that the point falls on a group boundary.
    let top = (point - 1).max(0).div_euclid(4);
    let bottom = (-scale).div_euclid(4);
    let mut groups: Vec<u16> = (bottom..=top)
        .rev()
        .map(|g| (0..4).rev().fold(0u16, |acc, k| acc * 10 + at(g * 4 + k)))
        .collect();
    let mut weight = top;
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let weight =
        i16::try_from(weight).map_err(|_| format!("{text:?} is out of the range of numeric"))?;
    let sign = if negative && !groups.is_empty() {
        NEGATIVE
    } else {
        POSITIVE
    };
    for v in [groups.len() as u16, weight as u16, sign, scale as u16] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    fn round(text: &str) -> String {
        let mut buf = Vec::new();
        encode(text, &mut buf).unwrap();
        decode(&buf).unwrap()
    }

    #[test]
    fn text_survives_the_binary_form() {
        for (input, expected) in [
            ("0", "0"),
            ("0.00", "0.00"),
            ("-12.3400", "-12.3400"),
            ("12345678.000000001", "12345678.000000001"),
            ("0.0001", "0.0001"),
            ("0.00001", "0.00001"),
            ("10000", "10000"),
            (
                "99999999999999999999999999.99",
                "99999999999999999999999999.99",
            ),
            ("1e3", "1000"),
            ("1.5e-3", "0.0015"),
            ("-0", "0"),
            ("NaN", "NaN"),
            ("Infinity", "Infinity"),
            ("-Infinity", "-Infinity"),
            (".5", "0.5"),
        ] {
            assert_eq!(round(input), expected, "{input}");
        }
    }

    #[test]
    fn leading_zero_digits_are_not_printed() {
        // ndigits 2, weight 2, positive, dscale 0: digits 0, 12 (then an implied 0000).
        let raw: Vec<u8> = [2u16, 2, 0, 0, 0, 12]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        assert_eq!(decode(&raw).unwrap(), "120000");
        let zero: Vec<u8> = [1u16, 3, 0, 1, 0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        assert_eq!(decode(&zero).unwrap(), "0.0");
    }

    #[test]
    fn garbage_is_refused() {
        for bad in ["", "abc", "1.2.3", "--1", "1e", "."] {
            assert!(encode(bad, &mut Vec::new()).is_err(), "{bad}");
        }
    }
}
