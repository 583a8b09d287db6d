//! URL pieces built from values that are not ours (ids from Klarna or from a path).

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// What may not stand in one path segment unencoded (RFC 3986: the segment's delimiters,
/// `%`, and what browsers and servers treat specially).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `text` as one path segment: anything that could end it or change the path is encoded.
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn ids_stay_readable_and_cannot_leave_their_segment() {
        assert_eq!(segment("krn:payment:eu1:request:6f1c-2a9e"), "krn:payment:eu1:request:6f1c-2a9e");
        assert_eq!(segment("ord_ab12"), "ord_ab12");
        assert_eq!(segment("../x?y#z"), "..%2Fx%3Fy%23z");
        assert_eq!(segment("a b%"), "a%20b%25");
    }
}
