//! Amounts as shoppers read them: minor units shown with the currency's own number of
//! decimals (JPY has none, BHD three).

use iso_currency::Currency;

/// `11800` USD → `118.00 USD`; `1180` JPY → `1180 JPY`. An unknown currency shows two decimals.
pub fn format(amount: u64, currency: &str) -> String {
    let exponent = Currency::from_code(currency).and_then(|c| c.exponent()).unwrap_or(2);
    let divisor = 10u64.pow(u32::from(exponent));
    if exponent == 0 {
        return format!("{amount} {currency}");
    }
    let width = usize::from(exponent);
    format!("{}.{:0width$} {currency}", amount / divisor, amount % divisor)
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn each_currency_with_its_own_decimals() {
        assert_eq!(format(11800, "USD"), "118.00 USD");
        assert_eq!(format(5, "EUR"), "0.05 EUR");
        assert_eq!(format(1180, "JPY"), "1180 JPY");
        assert_eq!(format(1234, "BHD"), "1.234 BHD");
        assert_eq!(format(199, "XYZ"), "1.99 XYZ");
    }
}
