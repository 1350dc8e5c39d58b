use std::convert::TryFrom;
use rsip::prelude::*;

#[test]
fn probe() {
    let dir = "/work/shared/testdata/rfc4475";
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(|e| { let p = e.unwrap().path(); (p.extension()? == "dat").then_some(p) }).collect();
    names.sort();
    for p in names {
        let b = std::fs::read(&p).unwrap();
        let r = std::panic::catch_unwind(|| rsip::SipMessage::try_from(&b[..]));
        let s = match r { Ok(Ok(m)) => format!("OK {}", match &m { rsip::SipMessage::Request(r) => format!("{} {}", r.method, r.uri), rsip::SipMessage::Response(r) => format!("{}", r.status_code) }), Ok(Err(e)) => format!("ERR {}", e.to_string().chars().take(100).collect::<String>()), Err(_) => "PANIC".into() };
        println!("{:12} {}", p.file_stem().unwrap().to_str().unwrap(), s);
    }
    for u in ["sip:user@example.com; lr", "<sip:user@example.com>", "sip:user@example.com?Route=%3Csip:example.com%3E", "nobodyKnowsThisScheme:totallyopaquecontent", "soap.beep://192.0.2.103:3002", "sip:user;par=u%40example.net@example.com", "sip:sips%3Auser%40example.com@example.net", "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com", "sip:vivekg@chair-dnrc.example.com;unknownparam", "sips:x@[::1]:5060", "tel:+1234", "sip:example.com", "sip:", "sip:@@", "sip:a b"] {
        let r = std::panic::catch_unwind(|| rsip::Uri::try_from(u));
        println!("URI {u:?} -> {:?}", r.map(|r| r.map(|u| (u.scheme.clone(), u.to_string()))));
    }
    for v in ["\"Mr. J. User <sip:j.user@example.com>", "\"Watson, Thomas\" < sip:t.watson@example.org >", "Bell, Alexander <sip:a.g.bell@example.com>;tag=43", "sip:user@example.com?Route=%3Csip:sip.example.com%3E", "caller<sip:caller@example.com>;tag=323", "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com> ; tag = 98asjd8", "isbn:2983792873", "<http://www.example.com>;tag=3234233", "\"%Z%45\" <sip:resource@example.com>", "sip:+19725552222@gw1.example.net;unknownparam"] {
        let h = rsip::headers::From::new(v);
        let r = std::panic::catch_unwind(|| h.typed());
        println!("FROM {v:?} -> {:?}", r.map(|r| r.map(|f| f.to_string())));
    }
    for v in ["SIP/2.0/UDP 192.0.2.15;;,;,,", "SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw", "SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en", "SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK", "SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23"] {
        let h = rsip::headers::Via::new(v);
        let r = std::panic::catch_unwind(|| h.typed());
        println!("VIA {v:?} -> {:?}", r.map(|r| r.map(|f| f.to_string())));
    }
    for v in ["36893488147419103232 REGISTER", "0009 INVITE", "8 RE%47IST%45R", "139122385 !interesting-Method0123456789_*+`.%indeed'~", "4294967295 INVITE", "-1 INVITE"] {
        let h = rsip::headers::CSeq::new(v);
        let r = std::panic::catch_unwind(|| h.typed());
        println!("CSEQ {v:?} -> {:?}", r.map(|r| r.map(|f| f.to_string())));
    }
    for v in ["\"Joe\" <sip:joe@example.org>;;;;", "<sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>", "<sip:%00@host5.example.com>", "<name:John_Smith>", "*", "<sip:a@b>, <sip:c@d>"] {
        let h = rsip::headers::Contact::new(v);
        let r = std::panic::catch_unwind(|| h.typed());
        println!("CONTACT {v:?} -> {:?}", r.map(|r| r.map(|f| f.to_string())));
    }
}
