//! Feeds arbitrary bytes to what a coordinator does with a partial
//! aggregate received from a federated node or a cluster partition: read
//! the JSON message, rebuild the partial through the kernels' checked
//! constructors, and evaluate it. Any panic is a bug: a corrupt or hostile
//! message must end in an error naming what is wrong.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netra_analysis::partial::SurvivalPartial;
use netra_analysis::partial::wire::{Message, Partial};
use netra_stats::km::KmOptions;
use netra_stats::logrank::Weights;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(message) = Message::from_json(text) else {
        return;
    };
    match &message.partial {
        Partial::Survival(_) => {
            if let Ok(p) = SurvivalPartial::from_message(&message) {
                let _ = p.km_curves(&KmOptions::default());
                let _ = p.logrank(Weights::LogRank);
            }
        }
        Partial::CoxMoments(m) => {
            if let Ok(m) = m.to_moments() {
                let _ = m.means();
            }
        }
        Partial::CoxSpread(s) => {
            let _ = s.to_spread();
        }
        Partial::CoxRound(r) => {
            if let Ok(p) = r.to_partial() {
                let _ = p.evaluate();
            }
        }
    }
});
