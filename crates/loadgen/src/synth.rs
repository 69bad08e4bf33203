//! Synthetic news corpus: storylines of templated articles with varied entities, places and dates.
//!
//! Invariants: the output is a pure function of the seed (same seed, same articles, same order);
//! article ids are `{prefix}-{n:07}` with `n` counting from 0; within a storyline, events are in
//! time order and every article of an event is dated within two days of the event's day.

use serde_json::{json, Value};

/// SplitMix64: small, fast, deterministic; good enough for picking templates.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_B00C)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; `n` must be > 0.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

pub const FIRST: &[&str] = &[
    "Olivia", "Marcus", "Anita", "Tomas", "Helena", "Rafael", "Ingrid", "Kwame", "Sofia", "Dmitri",
    "Leila", "Jonas", "Priya", "Henrik", "Amara", "Felix", "Yuki", "Carmen", "Oskar", "Nadia",
    "Elliot", "Marta", "Samir", "Greta", "Tobias", "Ines", "Viktor", "Chloe", "Mateo", "Freya",
    "Adrian", "Lucia", "Emeka", "Hanna", "Pavel", "Rosa", "Idris", "Clara", "Bruno", "Aiko",
];
pub const LAST: &[&str] = &[
    "Grant",
    "Okafor",
    "Shah",
    "Lindqvist",
    "Moreau",
    "Castellano",
    "Brandt",
    "Mensah",
    "Petrova",
    "Halloran",
    "Nakamura",
    "Fischer",
    "Alvarez",
    "Kowalski",
    "Osei",
    "Whitfield",
    "Romano",
    "Haddad",
    "Sorensen",
    "Dubois",
    "Varga",
    "Keane",
    "Farouk",
    "Jansen",
    "Moretti",
    "Ibsen",
    "Costa",
    "Wren",
    "Takahashi",
    "Novak",
    "Ferreira",
    "Lund",
    "Adeyemi",
    "Marsh",
    "Quintero",
    "Holt",
    "Berger",
    "Sato",
    "Kerrigan",
    "Vance",
];
const PLACE_A: &[&str] = &[
    "Nor", "Ash", "Bel", "Cal", "Dun", "Elm", "Fair", "Glen", "Har", "Kings", "Lang", "Mar", "Oak",
    "Pen", "Red", "Stan", "Thorn", "Wex", "Rye", "Bram",
];
const PLACE_B: &[&str] = &[
    "haven", "ford", "bury", "field", "ton", "mouth", "wick", "dale", "port", "stead", "brook",
    "cliff",
];
const ORG_A: &[&str] = &[
    "Northwind",
    "Bluecrest",
    "Ironbridge",
    "Silverline",
    "Harborview",
    "Crescent",
    "Summit",
    "Keystone",
    "Meridian",
    "Redwood",
    "Granite",
    "Lakeshore",
    "Pinnacle",
    "Sterling",
    "Evergreen",
    "Oakmont",
    "Brightwater",
    "Stonegate",
    "Falcon",
    "Coastal",
];
const ORG_B: &[&str] = &[
    "Logistics",
    "Energy",
    "Holdings",
    "Bank",
    "Airlines",
    "Motors",
    "Pharma",
    "Telecom",
    "Foods",
    "Mining",
    "Shipping",
    "Rail",
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "ven", "dar", "mi", "sto", "rel", "tan", "bri", "gor", "ne", "sha", "vel", "qui",
    "ran", "tor", "li", "mas", "fen", "dor", "ul", "cas", "pe", "ri", "zan", "mor", "hel", "vin",
    "sa", "tek",
];
const SOURCES: &[(&str, &str)] = &[
    ("The Harbour Courier", "harbourcourier.example"),
    ("Daily Ledger", "dailyledger.example"),
    ("Metro Wire", "metrowire.example"),
    ("The Evening Post", "eveningpost.example"),
    ("Regional Press Agency", "rpa.example"),
    ("Coastline News", "coastlinenews.example"),
];
const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One kind of story: its stages (each becomes an event: title, lead sentence) and background sentences.
struct Topic {
    name: &'static str,
    stages: &'static [(&'static str, &'static str)],
    background: &'static [&'static str],
}

// Placeholders: {p1} {p2} people, {o1} {o2} organisations, {pl} {pl2} places, {n} a number, {day} a weekday.
const TOPICS: &[Topic] = &[
    Topic {
        name: "strike",
        stages: &[
            ("Workers at {o1} in {pl} walk out over pay", "Hundreds of workers at {o1} in {pl} walked off the job on {day}, demanding a {n} percent pay rise."),
            ("{o1} strike in {pl} enters second week", "The strike at {o1}'s {pl} site entered its second week on {day} with no talks scheduled."),
            ("Union leader {p1} rejects {o1} offer", "Union leader {p1} rejected a revised offer from {o1} on {day}, calling it an insult to {n} workers."),
            ("{o1} and union reach deal to end {pl} strike", "{o1} and the union reached a deal on {day} to end the strike in {pl} after {n} days."),
        ],
        background: &[
            "The dispute has halted deliveries across {pl} and the surrounding region.",
            "{p2}, a spokesperson for {o1}, said the company remained open to talks.",
            "Picket lines formed outside the main gates before dawn.",
            "Local businesses in {pl} say the stoppage is costing them customers.",
            "The union says wages have fallen behind inflation for {n} months.",
        ],
    },
    Topic {
        name: "wildfire",
        stages: &[
            ("Wildfire breaks out near {pl}", "A wildfire broke out in dry hills near {pl} on {day}, forcing the closure of two roads."),
            ("Thousands evacuated as {pl} fire spreads", "About {n} hundred residents were ordered to leave their homes on {day} as the fire near {pl} spread."),
            ("Fire chief {p1} says {pl} blaze half contained", "Fire chief {p1} said on {day} that crews had contained half of the blaze near {pl}."),
            ("Residents return to {pl} after wildfire", "Residents began returning to {pl} on {day} after firefighters declared the wildfire contained."),
        ],
        background: &[
            "Strong winds and low humidity fuelled the flames.",
            "{n} firefighters and several water-dropping aircraft were deployed.",
            "An emergency shelter opened at the {pl2} community centre.",
            "{p2}, who lives on the edge of {pl}, said the smoke was visible for miles.",
            "Officials have not yet determined the cause of the fire.",
        ],
    },
    Topic {
        name: "acquisition",
        stages: &[
            ("{o1} agrees to buy {o2} for {n} billion", "{o1} said on {day} it had agreed to buy rival {o2} in a deal worth {n} billion."),
            ("Regulators open review of {o1}-{o2} deal", "Competition regulators opened an in-depth review of {o1}'s purchase of {o2} on {day}."),
            ("{o2} shareholders approve takeover by {o1}", "Shareholders of {o2} voted on {day} to approve the takeover by {o1}."),
            ("{o1} completes {o2} acquisition", "{o1} completed its acquisition of {o2} on {day}, chief executive {p1} said."),
        ],
        background: &[
            "The combined company would employ about {n} thousand people.",
            "{p2}, an analyst, said the deal would reshape the industry.",
            "Shares of {o2} rose sharply on the news.",
            "{o1} expects savings of {n} million a year by the third year.",
            "Both companies have headquarters in {pl}.",
        ],
    },
    Topic {
        name: "scandal",
        stages: &[
            ("{pl} mayor {p1} accused of misusing funds", "{pl} mayor {p1} was accused on {day} of steering city contracts to {o1}."),
            ("Council orders audit of {pl} contracts", "The {pl} city council on {day} ordered an independent audit of contracts awarded to {o1}."),
            ("Mayor {p1} denies wrongdoing", "Mayor {p1} denied any wrongdoing on {day}, saying all contracts with {o1} followed the rules."),
            ("{pl} mayor {p1} resigns", "{p1} resigned as mayor of {pl} on {day}, days after the audit found {n} irregular payments."),
        ],
        background: &[
            "Opposition councillor {p2} called for a police investigation.",
            "The contracts are worth a combined {n} million.",
            "Residents of {pl} gathered outside city hall.",
            "{o1} said it had won the contracts fairly.",
        ],
    },
    Topic {
        name: "launch",
        stages: &[
            ("{o1} sets date for lunar lander launch", "{o1} said on {day} it would launch its lunar lander from {pl} within {n} days."),
            ("{o1} lander lifts off from {pl}", "The {o1} lunar lander lifted off from {pl} on {day} on a clear morning."),
            ("{o1} lander enters lunar orbit", "Mission director {p1} said on {day} that the {o1} lander had entered lunar orbit."),
            ("{o1} lander touches down on the Moon", "The {o1} lander touched down on the Moon on {day}, mission director {p1} confirmed."),
        ],
        background: &[
            "The mission carries {n} scientific instruments.",
            "{p2}, a planetary scientist, called it a milestone for private spaceflight.",
            "Crowds watched from beaches near {pl}.",
            "The lander was built with partners including {o2}.",
        ],
    },
    Topic {
        name: "derailment",
        stages: &[
            ("Freight train derails near {pl}", "A {o1} freight train derailed near {pl} on {day}, spilling cargo beside the tracks."),
            ("Residents near {pl} told to stay indoors after derailment", "Residents within {n} kilometres of the derailment near {pl} were told on {day} to stay indoors."),
            ("Investigators examine track at {pl} crash site", "Safety investigator {p1} said on {day} that the team was examining a section of track near {pl}."),
            ("Line through {pl} reopens after derailment", "The rail line through {pl} reopened on {day}, {o1} said."),
        ],
        background: &[
            "No injuries were reported among the crew.",
            "The train was carrying {n} wagons.",
            "{p2}, who lives near the line, heard a loud crash.",
            "{o1} apologised for the disruption to passengers.",
        ],
    },
    Topic {
        name: "outbreak",
        stages: &[
            ("Health officials declare measles outbreak in {pl}", "Health officials in {pl} declared a measles outbreak on {day} after confirming {n} cases."),
            ("{pl} measles cases rise", "The number of measles cases in {pl} rose to {n} on {day}, officer {p1} said."),
            ("Vaccination clinics open across {pl}", "Free vaccination clinics opened across {pl} on {day}."),
            ("{pl} measles outbreak declared over", "Officials declared the {pl} measles outbreak over on {day} after {n} days without a new case."),
        ],
        background: &[
            "Most of the cases are among unvaccinated children.",
            "{p2}, a local doctor, urged parents to check vaccination records.",
            "Schools in {pl} sent letters to families.",
            "Measles is one of the most contagious diseases known.",
        ],
    },
    Topic {
        name: "final",
        stages: &[
            ("{p1} reaches {pl} Open final", "{p1} reached the final of the {pl} Open on {day} with a straight-sets win."),
            ("{p1} beats {p2} to win {pl} Open", "{p1} beat {p2} on {day} to win the {pl} Open, a first title in {n} years."),
            ("{p1} withdraws from next event after {pl} win", "{p1} withdrew from next week's tournament on {day}, citing fatigue after the {pl} Open."),
        ],
        background: &[
            "The crowd of {n} thousand gave both players a standing ovation.",
            "{p2} had not dropped a set all week.",
            "The tournament is sponsored by {o1}.",
            "Rain delayed the start of play by an hour.",
        ],
    },
    Topic {
        name: "flood",
        stages: &[
            ("River bursts its banks in {pl}", "The river burst its banks in {pl} on {day} after {n} hours of heavy rain."),
            ("Hundreds rescued from flooded homes in {pl}", "Emergency crews rescued {n} people from flooded homes in {pl} on {day}."),
            ("{pl} begins clean-up as waters recede", "The clean-up in {pl} began on {day} as flood waters receded, councillor {p1} said."),
        ],
        background: &[
            "Sandbags were handed out at the {pl2} fire station.",
            "{o1} said power had been cut to {n} homes.",
            "{p2}, a shop owner, said the water reached a metre inside her store.",
            "Forecasters warned more rain was on the way.",
        ],
    },
    Topic {
        name: "trial",
        stages: &[
            ("{o1} executive {p1} charged with fraud", "Prosecutors charged {o1} executive {p1} with fraud on {day}."),
            ("Trial of {p1} opens in {pl}", "The trial of former {o1} executive {p1} opened in {pl} on {day}."),
            ("Witness {p2} testifies against {p1}", "Former colleague {p2} testified on {day} that {p1} knew of the false accounts."),
            ("{p1} found guilty in {o1} fraud case", "A jury in {pl} found {p1} guilty on {day} of defrauding investors in {o1}."),
        ],
        background: &[
            "Investors lost an estimated {n} million.",
            "{p1} has denied all the charges.",
            "The trial is expected to last {n} weeks.",
            "{o1} has since replaced its board.",
        ],
    },
];

const FILLER: &[&str] = &[
    "More details are expected later this week.",
    "Officials said an update would follow on {day}.",
    "The story is developing.",
    "Reporting by {p2} in {pl}.",
    "Follow us for the latest news from {pl}.",
];

/// A storyline in progress: its cast and the remaining stages.
struct Story {
    topic: &'static Topic,
    p1: String,
    p2: String,
    o1: String,
    o2: String,
    pl: String,
    pl2: String,
    /// Days since 2024-01-01 of the current event.
    day: u64,
    stage: usize,
}

/// Endless deterministic stream of synthetic articles, as JSON objects for `storyline ingest`
/// or `POST /v1/articles`: `{id,title,text,url,date,lang,source}`.
pub struct Synth {
    rng: Rng,
    prefix: String,
    next_id: u64,
    /// Stories being written; each call advances one of them, so storylines interleave in time.
    open: Vec<Story>,
    /// Recent articles (title, text) kept for near-duplicates.
    recent: Vec<(String, String, u64)>,
    days: u64,
}

impl Synth {
    /// `days`: the span of publication dates from 2024-01-01 (e.g. 365).
    pub fn new(seed: u64, prefix: &str, days: u64) -> Self {
        Synth {
            rng: Rng::new(seed),
            prefix: prefix.to_string(),
            next_id: 0,
            open: Vec::new(),
            recent: Vec::new(),
            days: days.max(1),
        }
    }

    /// A made-up capitalised word of 2–3 syllables (27,000+ of them): keeps names varied, so
    /// storylines do not share entities by accident as they would with small fixed lists.
    fn coined(&mut self) -> String {
        let n = self.rng.range(2, 3);
        let mut w: String = (0..n).map(|_| self.rng.pick(SYLLABLES)).collect();
        if let Some(first) = w.get(..1) {
            w.replace_range(..1, &first.to_uppercase());
        }
        w
    }

    fn person(&mut self) -> String {
        let last = if self.rng.chance(0.5) {
            self.rng.pick(LAST).to_string()
        } else {
            self.coined()
        };
        format!("{} {last}", self.rng.pick(FIRST))
    }

    fn place(&mut self) -> String {
        let head = if self.rng.chance(0.5) {
            self.rng.pick(PLACE_A).to_string()
        } else {
            self.coined()
        };
        format!("{head}{}", self.rng.pick(PLACE_B))
    }

    fn org(&mut self) -> String {
        let head = if self.rng.chance(0.5) {
            self.rng.pick(ORG_A).to_string()
        } else {
            self.coined()
        };
        format!("{head} {}", self.rng.pick(ORG_B))
    }

    fn new_story(&mut self) -> Story {
        let topic = &TOPICS[self.rng.below(TOPICS.len())];
        Story {
            topic,
            p1: self.person(),
            p2: self.person(),
            o1: self.org(),
            o2: self.org(),
            pl: self.place(),
            pl2: self.place(),
            day: self.rng.range(0, self.days - 1),
            stage: 0,
        }
    }

    fn fill(&mut self, template: &str, s: &Story) -> String {
        let n = self.rng.range(2, 90).to_string();
        let day = self.rng.pick(WEEKDAYS);
        template
            .replace("{p1}", &s.p1)
            .replace("{p2}", &s.p2)
            .replace("{o1}", &s.o1)
            .replace("{o2}", &s.o2)
            .replace("{pl2}", &s.pl2)
            .replace("{pl}", &s.pl)
            .replace("{n}", &n)
            .replace("{day}", day)
    }

    /// The next article. About 6% are near-duplicates (syndicated copies) of a recent article.
    pub fn next_article(&mut self) -> Value {
        let id = format!("{}-{:07}", self.prefix, self.next_id);
        self.next_id += 1;
        let (src, host) = SOURCES[self.rng.below(SOURCES.len())];

        if !self.recent.is_empty() && self.rng.chance(0.06) {
            let (title, text, day) = self.recent[self.rng.below(self.recent.len())].clone();
            let text = format!("{src} | News\n\n{text}\n\nShare this article. Copyright {src}.");
            return article(&id, &title, &text, host, day, self.rng.range(0, 23));
        }

        // Keep ~12 stories open so storylines interleave; a finished story is replaced.
        while self.open.len() < 12 {
            let s = self.new_story();
            self.open.push(s);
        }
        let k = self.rng.below(self.open.len());
        let mut s = self.open.swap_remove(k);
        let (title_t, lead_t) = s.topic.stages[s.stage];
        let title = self.fill(title_t, &s);
        let mut paragraphs = vec![self.fill(lead_t, &s)];
        // Distinct background sentences, in a random order.
        let mut order: Vec<usize> = (0..s.topic.background.len()).collect();
        for i in (1..order.len()).rev() {
            let j = self.rng.below(i + 1);
            order.swap(i, j);
        }
        let extra = (self.rng.range(2, 4) as usize).min(order.len());
        for &i in &order[..extra] {
            paragraphs.push(self.fill(s.topic.background[i], &s));
        }
        if self.rng.chance(0.5) {
            let t = self.rng.pick(FILLER);
            paragraphs.push(self.fill(t, &s));
        }
        let by = self.person();
        let text = format!(
            "{} | {}\n\nBy {by}\n\n{}",
            src,
            s.topic.name,
            paragraphs.join("\n\n")
        );
        let day = (s.day + self.rng.range(0, 1)).min(self.days + 60);
        let value = article(&id, &title, &text, host, day, self.rng.range(6, 22));

        if self.recent.len() >= 64 {
            let i = self.rng.below(self.recent.len());
            self.recent.swap_remove(i);
        }
        self.recent.push((title, paragraphs.join("\n\n"), day));

        // 1–6 articles per event, then the story moves on to its next stage a few days later.
        if self.rng.chance(0.3) {
            s.stage += 1;
            s.day += self.rng.range(1, 9);
        }
        if s.stage < s.topic.stages.len() {
            self.open.push(s);
        }
        value
    }
}

fn article(id: &str, title: &str, text: &str, host: &str, day: u64, hour: u64) -> Value {
    let date = date_of(day, hour);
    let slug: String = title
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    json!({
        "id": id,
        "title": title,
        "text": text,
        "url": format!("https://{host}/{}/{slug}", &date[..10].replace('-', "/")),
        "date": date,
        "lang": "en",
    })
}

/// RFC 3339 UTC time `day` days after 2024-01-01 at `hour`:00.
fn date_of(day: u64, hour: u64) -> String {
    // Civil-from-days (Howard Hinnant), days counted from 1970-01-01; 2024-01-01 is day 19723.
    let z = 19_723 + day as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00Z",
        hour % 24,
        (day * 7) % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_calendar_dates() {
        assert_eq!(date_of(0, 9), "2024-01-01T09:00:00Z");
        assert_eq!(&date_of(59, 0)[..10], "2024-02-29");
        assert_eq!(&date_of(366, 0)[..10], "2025-01-01");
    }

    #[test]
    fn deterministic_unique_ids_and_some_duplicates() {
        let a: Vec<Value> = {
            let mut s = Synth::new(7, "t", 365);
            (0..2000).map(|_| s.next_article()).collect()
        };
        let mut s = Synth::new(7, "t", 365);
        let b: Vec<Value> = (0..2000).map(|_| s.next_article()).collect();
        assert_eq!(a, b);
        let ids: std::collections::HashSet<&str> =
            a.iter().map(|v| v["id"].as_str().unwrap_or("")).collect();
        assert_eq!(ids.len(), a.len());
        let titles: std::collections::HashSet<&str> = a
            .iter()
            .map(|v| v["title"].as_str().unwrap_or(""))
            .collect();
        // Varied (many distinct headlines) but with repeats from near-duplicates and same-event coverage.
        assert!(
            titles.len() > 500 && titles.len() < a.len(),
            "{} distinct titles",
            titles.len()
        );
    }
}
