//! The cells JS gets as strings (text, numeric, uuid, date, time, inet), written as
//! Postgres prints them. They write into a caller's buffer: a text column appends all
//! its cells to one buffer that crosses into JS at once.

use std::fmt::Write;

use fanio_core::db::{Cell, civil};

/// Appends the string form of `cell`; nothing for a cell that is not a string in JS.
pub fn write(out: &mut String, cell: &Cell) {
    match cell {
        Cell::Numeric(s) | Cell::Text(s) => out.push_str(s),
        Cell::Uuid(u) => uuid(out, u),
        Cell::Date(days) => date(out, *days),
        Cell::Time(us) => time(out, *us),
        Cell::Inet { addr, prefix, cidr } => {
            let full = if addr.is_ipv4() { 32 } else { 128 };
            let _ = write!(out, "{addr}");
            // As Postgres prints them: an inet of a single host has no suffix.
            if *cidr || *prefix != full {
                let _ = write!(out, "/{prefix}");
            }
        }
        _ => {}
    }
}

fn uuid(out: &mut String, u: &[u8; 16]) {
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let _ = write!(out, "{b:02x}");
    }
}

/// Days since 1970-01-01 as Postgres prints a date (ISO, `BC` before year 1).
fn date(out: &mut String, days: i32) {
    match days {
        i32::MAX => return out.push_str("infinity"),
        i32::MIN => return out.push_str("-infinity"),
        _ => {}
    }
    let (y, m, d) = civil(days as i64);
    let _ = if y >= 1 {
        write!(out, "{y:04}-{m:02}-{d:02}")
    } else {
        write!(out, "{:04}-{m:02}-{d:02} BC", 1 - y)
    };
}

/// Microseconds since midnight as Postgres prints a time: `HH:MM:SS[.ffffff]`, the
/// fraction without trailing zeros.
fn time(out: &mut String, us: i64) {
    let (secs, frac) = (us.div_euclid(1_000_000), us.rem_euclid(1_000_000));
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac > 0 {
        let digits = format!("{frac:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use fanio_core::db::Cell;

    fn text(cell: Cell) -> String {
        let mut s = String::new();
        super::write(&mut s, &cell);
        s
    }

    #[test]
    fn dates_and_times_print_as_postgres_does() {
        assert_eq!(text(Cell::Date(0)), "1970-01-01");
        assert_eq!(text(Cell::Date(-1)), "1969-12-31");
        assert_eq!(text(Cell::Date(19_782)), "2024-02-29");
        assert_eq!(text(Cell::Date(-719_162)), "0001-01-01");
        assert_eq!(text(Cell::Date(-719_163)), "0001-12-31 BC");
        assert_eq!(text(Cell::Date(i32::MAX)), "infinity");
        assert_eq!(text(Cell::Date(i32::MIN)), "-infinity");
        assert_eq!(text(Cell::Time(0)), "00:00:00");
        assert_eq!(text(Cell::Time(45_296_500_000)), "12:34:56.5");
        assert_eq!(text(Cell::Time(86_400_000_000)), "24:00:00");
        assert_eq!(text(Cell::Time(1)), "00:00:00.000001");
        assert_eq!(
            text(Cell::Uuid([
                0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0, 1, 2, 3, 4, 5, 6, 7
            ])),
            "12345678-9abc-def0-0001-020304050607"
        );
    }

    #[test]
    fn inet_has_a_prefix_unless_a_single_host() {
        let addr: IpAddr = "10.0.0.1".parse().unwrap();
        let inet = |prefix, cidr| text(Cell::Inet { addr, prefix, cidr });
        assert_eq!(inet(32, false), "10.0.0.1");
        assert_eq!(inet(8, false), "10.0.0.1/8");
        assert_eq!(inet(32, true), "10.0.0.1/32");
    }

    #[test]
    fn other_cells_write_nothing() {
        assert_eq!(text(Cell::Float(1.0)), "");
    }
}
