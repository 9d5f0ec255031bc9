//! Byte counts written for people: the one formatter every report, message and progress
//! line uses, so a size reads the same wherever it is shown.

/// A byte count for people: `512 B`, `1.5 KiB`, `64.0 MiB`, up to `EiB` (powers of 1024,
/// one decimal, rounded half up).
///
/// The unit is the largest whose value, once rounded, is at least 1: a count just under a
/// unit's boundary that rounds up to it is written in that unit (`1048575` is `1.0 MiB`,
/// never `1024.0 KiB`).
///
/// ```
/// use keysnare_types::human_bytes;
///
/// assert_eq!(human_bytes(1023), "1023 B");
/// assert_eq!(human_bytes(1536), "1.5 KiB");
/// assert_eq!(human_bytes(64 << 20), "64.0 MiB");
/// assert_eq!(human_bytes((1 << 20) - 1), "1.0 MiB");
/// ```
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    // Tenths of the unit, rounded half up, in integers: exact for every u64.
    let tenths = |shift: u32| {
        let unit = 1u128 << shift;
        (u128::from(n) * 10 + unit / 2) / unit
    };
    let mut unit = 0;
    let mut value = tenths(10);
    while value >= 10 * 1024 && unit < UNITS.len() - 1 {
        unit += 1;
        value = tenths(10 * (unit as u32 + 1));
    }
    format!("{}.{} {}", value / 10, value % 10, UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_below_a_kibibyte_are_counted_whole() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1), "1 B");
        assert_eq!(human_bytes(1023), "1023 B");
    }

    #[test]
    fn each_unit_starts_at_its_power_of_1024() {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        for (i, unit) in units.iter().enumerate() {
            let one = 1u64 << (10 * (i + 1));
            assert_eq!(human_bytes(one), format!("1.0 {unit}"), "{one}");
            assert_eq!(human_bytes(one + one / 2), format!("1.5 {unit}"), "{one}");
        }
    }

    /// Just under a boundary: written in the smaller unit while it rounds below 1024.0, in
    /// the larger one from where it rounds up to it.
    #[test]
    fn just_under_a_boundary_never_reads_1024() {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        for (i, below) in units.iter().enumerate().skip(1) {
            let one = 1u64 << (10 * i);
            let next = 1u64 << (10 * (i + 1));
            let above = units.get(i + 1).copied().unwrap_or("EiB");
            // 1023.94... of the smaller unit rounds down to 1023.9.
            let under = next - one / 16;
            assert_eq!(human_bytes(under), format!("1023.9 {below}"), "{under}");
            // 1023.95 of the smaller unit rounds half up: one of the larger.
            let half = next - one / 20;
            assert_eq!(human_bytes(half), format!("1.0 {above}"), "{half}");
            assert_eq!(
                human_bytes(next - 1),
                format!("1.0 {above}"),
                "{}",
                next - 1
            );
        }
    }

    #[test]
    fn rounding_is_half_up_to_one_decimal() {
        // 1.05 KiB lies between these two bytes.
        assert_eq!(human_bytes(1075), "1.0 KiB");
        assert_eq!(human_bytes(1076), "1.1 KiB");
        // 1.25 KiB exactly: half up, not half to even.
        assert_eq!(human_bytes(1280), "1.3 KiB");
        assert_eq!(human_bytes(80 << 20), "80.0 MiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
        assert_eq!(human_bytes(10 << 30), "10.0 GiB");
    }

    #[test]
    fn the_largest_count_is_in_exbibytes() {
        assert_eq!(human_bytes(1 << 63), "8.0 EiB");
        assert_eq!(human_bytes(u64::MAX), "16.0 EiB");
    }
}
