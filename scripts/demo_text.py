"""The text bank behind the demo data: prompts, the points a good answer makes, and people.

Everything here was written for curate's demo; names, addresses and numbers are invented
(card numbers are the networks' published test numbers; IPs come from documentation ranges).
"""

from __future__ import annotations

# (prompt, [points a good answer makes], one-line summary)
TOPICS: list[tuple[str, list[str], str]] = [
    (
        "How do I reverse a list in Python without modifying the original?",
        [
            "Slicing with a step of minus one, items[::-1], returns a new reversed list",
            "The built-in reversed() gives an iterator you can pass to list()",
            "The list.reverse() method works in place, so avoid it when the original must stay intact",
        ],
        "use items[::-1] or list(reversed(items)) and leave list.reverse() for in-place work",
    ),
    (
        "Explain the difference between a process and a thread.",
        [
            "A process owns its own memory space while threads of one process share memory",
            "Switching between threads is cheaper than switching between processes",
            "A crash in one thread can bring down the whole process, whereas processes are isolated",
        ],
        "processes isolate memory and failures, threads share memory and are lighter",
    ),
    (
        "What is a good way to start learning statistics as a software engineer?",
        [
            "Begin with descriptive statistics such as mean, median, variance and percentiles",
            "Learn probability distributions by simulating them in code rather than only reading formulas",
            "Practice hypothesis testing and confidence intervals on data from your own services",
        ],
        "learn the basics by simulation and apply them to data you already know",
    ),
    (
        "Write a short poem about autumn leaves falling in a quiet park.",
        [
            "Amber leaves drift down where the benches wait in silence",
            "The path is a quilt of rust and gold beneath slow feet",
            "Each gust carries the year a little further toward winter",
        ],
        "a quiet scene of colour and change",
    ),
    (
        "How does compound interest work? Give a simple example.",
        [
            "Interest is added to the principal, so the next period earns interest on interest",
            "With 1000 dollars at five percent per year you have 1050 after one year and 1102.50 after two",
            "The more often interest compounds, the faster the balance grows",
        ],
        "growth accelerates because each period builds on the last",
    ),
    (
        "What are the main causes of the French Revolution?",
        [
            "The monarchy faced a severe financial crisis after costly wars",
            "Enlightenment ideas questioned the privileges of the nobility and clergy",
            "Bread shortages and high prices pushed ordinary people toward revolt",
        ],
        "debt, new ideas and hunger combined into an uprising",
    ),
    (
        "Can you suggest a weekly workout plan for a beginner with no equipment?",
        [
            "Train the whole body three days a week with squats, push-ups and lunges",
            "Add two days of brisk walking or light jogging for endurance",
            "Rest at least two days and increase repetitions slowly each week",
        ],
        "three strength days, two cardio days and proper rest",
    ),
    (
        "Explain what a hash table is and when to use one.",
        [
            "A hash table maps keys to values by computing an index from each key",
            "Lookups, inserts and deletes take constant time on average",
            "Use one when you need fast access by key and do not need ordering",
        ],
        "fast key-based access without ordering guarantees",
    ),
    (
        "How should I prepare for a job interview at a small startup?",
        [
            "Research the product deeply and form an opinion about what could be better",
            "Prepare stories that show ownership, speed and comfort with ambiguity",
            "Ask questions about runway, team structure and how decisions are made",
        ],
        "show you care about the product and can work without much structure",
    ),
    (
        "What is the difference between weather and climate?",
        [
            "Weather describes short-term conditions such as today's rain or wind",
            "Climate is the average pattern of weather over decades in a region",
            "A cold week does not contradict a warming climate because they measure different spans",
        ],
        "weather is the moment, climate is the long-run average",
    ),
    (
        "Give me tips for writing clear commit messages.",
        [
            "Write a short summary line in the imperative mood, under about fifty characters",
            "Explain in the body why the change was made, not only what changed",
            "Keep each commit focused on one logical change so history stays readable",
        ],
        "a crisp summary, a reason, and one change per commit",
    ),
    (
        "How do vaccines train the immune system?",
        [
            "A vaccine presents a harmless piece or version of a pathogen to the body",
            "The immune system produces antibodies and memory cells against it",
            "When the real pathogen appears, memory cells respond quickly and strongly",
        ],
        "they rehearse the immune response before a real infection",
    ),
    (
        "What is the best way to store fresh herbs like basil and parsley?",
        [
            "Treat basil like cut flowers in a glass of water at room temperature",
            "Wrap parsley in a damp paper towel and keep it in the refrigerator",
            "Trim the stems first and change the water every couple of days",
        ],
        "basil on the counter in water, sturdy herbs wrapped in the fridge",
    ),
    (
        "Explain recursion to a ten year old.",
        [
            "Recursion is when a task is solved by doing a smaller copy of the same task",
            "Imagine opening nested boxes until you reach the smallest one",
            "There must be a smallest box, called the base case, or you would never stop",
        ],
        "solve a big problem by solving smaller versions of itself",
    ),
    (
        "What should I consider when choosing a database for a new web app?",
        [
            "Think about the shape of your data and whether relations between records matter",
            "Consider the consistency guarantees and transactions your features require",
            "Prefer a well-known system your team can operate, such as PostgreSQL, unless there is a reason",
        ],
        "match the data model and guarantees, and pick something you can run",
    ),
    (
        "Summarise the plot of a classic hero's journey story.",
        [
            "An ordinary hero receives a call to adventure and at first refuses it",
            "A mentor helps the hero cross into an unfamiliar world full of trials",
            "After a great ordeal the hero returns home changed, bringing something of value",
        ],
        "departure, trials and a transformed return",
    ),
    (
        "How can I improve my sleep quality?",
        [
            "Keep a consistent schedule, going to bed and waking at the same time daily",
            "Avoid caffeine in the afternoon and bright screens in the last hour before bed",
            "Make the bedroom cool, dark and quiet",
        ],
        "regular hours, fewer stimulants and a calm bedroom",
    ),
    (
        "What is the time complexity of binary search and why?",
        [
            "Binary search runs in logarithmic time, O(log n)",
            "Each comparison halves the remaining range of a sorted array",
            "After about log2 of n halvings only one element remains",
        ],
        "halving the range at each step gives O(log n)",
    ),
    (
        "Write a polite email declining a meeting invitation.",
        [
            "Thank the sender for the invitation and the thought behind it",
            "Explain briefly that a prior commitment prevents you from attending",
            "Offer an alternative such as reading the notes or meeting another week",
        ],
        "gratitude, a short reason and an alternative",
    ),
    (
        "How do solar panels generate electricity?",
        [
            "Solar cells are made of semiconductors, usually silicon",
            "Light knocks electrons loose and the cell's electric field pushes them into a current",
            "An inverter converts that direct current into alternating current for the home",
        ],
        "light frees electrons in silicon and the current is converted for use",
    ),
    (
        "What are some strategies to pay off credit card debt faster?",
        [
            "List every balance and pay extra toward the highest interest rate first",
            "Consider a balance transfer to a card with a low introductory rate",
            "Cut one or two recurring expenses and send that money to the debt",
        ],
        "target high rates, lower the rate, and free up cash",
    ),
    (
        "Explain the concept of supply and demand.",
        [
            "Demand falls as prices rise because fewer buyers are willing to pay",
            "Supply rises with price because producers earn more per unit",
            "The market price settles where the quantity supplied equals the quantity demanded",
        ],
        "prices move toward the point where buyers and sellers agree",
    ),
    (
        "How do I center a div horizontally and vertically with CSS?",
        [
            "Make the parent a flex container with display: flex",
            "Set justify-content: center and align-items: center on the parent",
            "Give the parent a height, for example 100vh, so vertical centering has room",
        ],
        "flexbox on the parent with both alignments set to center",
    ),
    (
        "What are good habits for keeping a small vegetable garden healthy?",
        [
            "Water deeply in the morning rather than lightly every evening",
            "Rotate crops each season to keep soil diseases from building up",
            "Mulch around plants to hold moisture and block weeds",
        ],
        "deep watering, rotation and mulch",
    ),
    (
        "Describe how a bill becomes a law in a parliamentary system.",
        [
            "A bill is introduced and debated in several readings in the legislature",
            "Committees examine it in detail and propose amendments",
            "After passing the chambers it receives formal assent and becomes law",
        ],
        "readings, committee scrutiny and final assent",
    ),
    (
        "How do I handle a disagreement with a coworker professionally?",
        [
            "Talk privately and early, before frustration builds",
            "Describe the specific behaviour and its effect instead of judging the person",
            "Look for a shared goal and agree on concrete next steps",
        ],
        "private, specific and focused on shared goals",
    ),
    (
        "What is photosynthesis?",
        [
            "Plants capture sunlight with chlorophyll in their leaves",
            "They combine carbon dioxide and water to build sugars",
            "Oxygen is released as a by-product of the process",
        ],
        "plants turn light, water and carbon dioxide into sugar and oxygen",
    ),
    (
        "Give me a simple recipe for vegetable soup.",
        [
            "Soften onion, carrot and celery in olive oil for about ten minutes",
            "Add chopped potatoes, tomatoes and stock, then simmer for twenty minutes",
            "Season with salt, pepper and fresh herbs before serving",
        ],
        "soften the base, simmer with stock and season at the end",
    ),
    (
        "What is the purpose of unit tests?",
        [
            "Unit tests check small pieces of code in isolation",
            "They catch regressions early when code changes",
            "Good tests document the intended behaviour for future readers",
        ],
        "fast checks that guard behaviour and explain it",
    ),
    (
        "How can a small team run effective weekly meetings?",
        [
            "Share a written agenda a day ahead so people come prepared",
            "Keep status updates short and spend the time on decisions",
            "End with owners and deadlines for every action item",
        ],
        "an agenda, decisions over status, and clear owners",
    ),
    (
        "How do I make a good first impression at a new job?",
        [
            "Learn names quickly and use them when you greet colleagues",
            "Ask how the team prefers to communicate before you change anything",
            "Deliver one small, useful piece of work in your first weeks",
        ],
        "be curious, listen first and ship something small",
    ),
    (
        "What is the difference between TCP and UDP?",
        [
            "TCP sets up a connection and guarantees ordered, reliable delivery",
            "UDP sends independent datagrams with no delivery or ordering guarantee",
            "Video calls and games often prefer UDP because late data is useless anyway",
        ],
        "TCP trades speed for reliability, UDP the other way round",
    ),
    (
        "How can I keep my houseplants alive while I travel for two weeks?",
        [
            "Water thoroughly the day before you leave and move plants out of direct sun",
            "Group them together on a tray of wet pebbles to raise the humidity",
            "Use a wicking string from a jar of water for the thirstiest plants",
        ],
        "water well, shade them and add a slow water source",
    ),
    (
        "Explain what an API is to someone who does not code.",
        [
            "An API is a menu that tells one program what it may ask another program for",
            "The caller sends a request in an agreed format and gets a predictable answer",
            "A weather app, for example, asks a weather service for today's forecast through its API",
        ],
        "a contract that lets programs order services from each other",
    ),
    (
        "What are the benefits of learning to touch type?",
        [
            "Touch typing lets you keep your eyes on the screen instead of the keyboard",
            "Most people double their speed within a few weeks of daily practice",
            "Fewer errors and less neck strain make long writing sessions more comfortable",
        ],
        "faster, more accurate and more comfortable writing",
    ),
    (
        "How do noise cancelling headphones work?",
        [
            "Small microphones listen to the sound around you",
            "A chip produces a sound wave that is the exact opposite of that noise",
            "The two waves cancel out, which works best on steady low sounds like engines",
        ],
        "they play the inverse of the noise so the two cancel",
    ),
    (
        "What should I look for when buying a used bicycle?",
        [
            "Check the frame closely for cracks, dents and rust, especially near the joints",
            "Spin the wheels to see that they run true and the hubs turn smoothly",
            "Test the brakes and shift through every gear on a short ride",
        ],
        "a sound frame, true wheels and working brakes and gears",
    ),
    (
        "Why do we have leap years?",
        [
            "The Earth takes about 365.24 days to orbit the Sun",
            "Adding a day every four years keeps the calendar aligned with the seasons",
            "Century years skip the leap day unless they divide by 400, which fixes the remaining drift",
        ],
        "an extra day keeps the calendar in step with the orbit",
    ),
    (
        "How do I write a good README for an open source project?",
        [
            "Start with one sentence that says what the project does and for whom",
            "Show installation and a minimal working example near the top",
            "Link to contribution guidelines and state the license clearly",
        ],
        "say what it is, show how to use it and how to help",
    ),
    (
        "What is inflation and why does it matter for savings?",
        [
            "Inflation is the general rise of prices over time",
            "Money kept in cash buys less each year when prices rise",
            "Savings need to earn at least the inflation rate just to keep their value",
        ],
        "rising prices quietly shrink what savings can buy",
    ),
    (
        "Give me advice for running my first 10k race.",
        [
            "Build up gradually over eight weeks with three or four runs a week",
            "Start the race slower than feels necessary and speed up in the second half",
            "Eat a familiar breakfast and do not try new shoes on race day",
        ],
        "train gradually, pace yourself and change nothing on race day",
    ),
    (
        "How do I remove a stuck screw with a stripped head?",
        [
            "Press a wide rubber band between the screwdriver and the screw for extra grip",
            "Tap a slightly larger bit into the head or use a screw extractor",
            "As a last resort, grip the head with locking pliers and turn slowly",
        ],
        "add grip, use an extractor or grab the head with pliers",
    ),
    (
        "What makes a good password and how should I store it?",
        [
            "A long passphrase of several random words is stronger than a short complex string",
            "Use a different password for every account so one leak does not open the rest",
            "Keep them in a reputable password manager and turn on two-factor authentication",
        ],
        "long, unique and kept in a password manager",
    ),
    (
        "Explain how a refrigerator keeps food cold.",
        [
            "A refrigerant absorbs heat as it evaporates inside the fridge",
            "The compressor squeezes the warm gas, raising its temperature",
            "Coils at the back release that heat into the kitchen before the cycle repeats",
        ],
        "it pumps heat from inside to outside with an evaporating fluid",
    ),
]

# Sentences in other languages (written for the demo) to exercise the language stage.
FOREIGN: dict[str, list[tuple[str, str]]] = {
    "fr": [
        (
            "Peux-tu m'expliquer comment fonctionne la photosynthèse chez les plantes ?",
            "Les plantes utilisent la lumière du soleil pour changer l'eau et le gaz carbonique en sucre.",
        ),
        (
            "Quelle est la meilleure façon d'apprendre une nouvelle langue rapidement ?",
            "Pratiquez un peu chaque jour, parlez avec des locuteurs natifs et lisez des textes simples.",
        ),
    ],
    "de": [
        (
            "Wie kann ich meine Zeit bei der Arbeit besser einteilen?",
            "Planen Sie den Tag am Vorabend und erledigen Sie die wichtigste Aufgabe zuerst.",
        ),
        (
            "Was ist der Unterschied zwischen Wetter und Klima?",
            "Das Wetter beschreibt kurzfristige Zustände, das Klima den langjährigen Durchschnitt.",
        ),
    ],
    "es": [
        (
            "¿Cómo puedo preparar una buena tortilla de patatas en casa?",
            "Fríe las patatas a fuego lento, mézclalas con huevo batido y cuaja la tortilla por ambos lados.",
        ),
    ],
    "zh": [
        (
            "请帮我写一段关于春天的短文，描写公园里的景色。",
            "春天来了，公园里的花都开了，小朋友们在草地上放风筝，空气里充满了花香。",
        ),
    ],
    "ru": [
        (
            "Как научиться программировать на Python с нуля?",
            "Начните с основ синтаксиса, решайте небольшие задачи каждый день и читайте чужой код.",
        ),
    ],
    "ja": [
        (
            "日本でおすすめの観光地を教えてください。",
            "京都の古いお寺や、北海道の自然、沖縄の美しい海がとても人気があります。",
        ),
    ],
}

# Invented people and the structured values the demo plants in user turns.
PEOPLE = [
    {"name": "Emily Carter", "email": "emily.carter.1987@example.com", "phone": "(415) 555-0132"},
    {"name": "Rahul Mehta", "email": "rahul.mehta@example.org", "phone": "+1 212 555 0178"},
    {"name": "Sofia Rossi", "email": "sofia.rossi.work@example.net", "phone": "(617) 555-0199"},
    {"name": "Daniel Okafor", "email": "d.okafor@example.com", "phone": "(312) 555-0147"},
    {"name": "Hannah Schmidt", "email": "hannah.schmidt@example.org", "phone": "(206) 555-0163"},
]
CARDS = ["4111 1111 1111 1111", "5555 5555 5555 4444", "2223 0031 2200 3222"]
SSNS = ["536-90-4471", "412-77-0915"]
IPS = ["203.0.113.57", "198.51.100.23"]
IBANS = ["DE89 3704 0044 0532 0130 00"]
