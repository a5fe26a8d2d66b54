"""Demo organisation tree, kept as plain data: five countries, two oblasts each."""

COUNTRIES = [
    ("KZ", {"en": "Kazakhstan", "ru": "Казахстан", "kk": "Қазақстан"}, "kk", [
        ("ALM", {"en": "Almaty oblast", "ru": "Алматинская область", "kk": "Алматы облысы"},
         [("Talgar", "Талгарский район", "Талғар ауданы"), ("Ili", "Илийский район", "Іле ауданы")]),
        ("KAR", {"en": "Karaganda oblast", "ru": "Карагандинская область", "kk": "Қарағанды облысы"},
         [("Bukhar-Zhyrau", "Бухар-Жырауский район", "Бұқар жырау ауданы"), ("Abay", "Абайский район", "Абай ауданы")]),
    ]),
    ("KG", {"en": "Kyrgyzstan", "ru": "Кыргызстан", "ky": "Кыргызстан"}, "ky", [
        ("CHU", {"en": "Chuy oblast", "ru": "Чуйская область", "ky": "Чүй облусу"},
         [("Alamedin", "Аламединский район", "Аламүдүн району"), ("Sokuluk", "Сокулукский район", "Сокулук району")]),
        ("OSH", {"en": "Osh oblast", "ru": "Ошская область", "ky": "Ош облусу"},
         [("Kara-Suu", "Карасуйский район", "Кара-Суу району"), ("Uzgen", "Узгенский район", "Өзгөн району")]),
    ]),
    ("TJ", {"en": "Tajikistan", "ru": "Таджикистан", "tg": "Тоҷикистон"}, "tg", [
        ("SUG", {"en": "Sughd region", "ru": "Согдийская область", "tg": "Вилояти Суғд"},
         [("Spitamen", "Спитаменский район", "Ноҳияи Спитамен"), ("Ghafurov", "Гафуровский район", "Ноҳияи Ғафуров")]),
        ("KHT", {"en": "Khatlon region", "ru": "Хатлонская область", "tg": "Вилояти Хатлон"},
         [("Vakhsh", "Вахшский район", "Ноҳияи Вахш"), ("Kulob", "Кулябский район", "Ноҳияи Кӯлоб")]),
    ]),
    ("UZ", {"en": "Uzbekistan", "ru": "Узбекистан", "uz": "Oʻzbekiston"}, "uz", [
        ("SAM", {"en": "Samarkand region", "ru": "Самаркандская область", "uz": "Samarqand viloyati"},
         [("Urgut", "Ургутский район", "Urgut tumani"), ("Pastdargom", "Пастдаргомский район", "Pastdargʻom tumani")]),
        ("FER", {"en": "Fergana region", "ru": "Ферганская область", "uz": "Fargʻona viloyati"},
         [("Quva", "Кувинский район", "Quva tumani"), ("Rishton", "Риштанский район", "Rishton tumani")]),
    ]),
    ("TM", {"en": "Turkmenistan", "ru": "Туркменистан", "tk": "Türkmenistan"}, "tk", [
        ("AHA", {"en": "Ahal region", "ru": "Ахалский велаят", "tk": "Ahal welaýaty"},
         [("Ak bugday", "Ак бугдайский этрап", "Ak bugdaý etraby"), ("Tejen", "Тедженский этрап", "Tejen etraby")]),
        ("MAR", {"en": "Mary region", "ru": "Марыйский велаят", "tk": "Mary welaýaty"},
         [("Bayramaly", "Байрамалийский этрап", "Baýramaly etraby"), ("Murgap", "Мургапский этрап", "Murgap etraby")]),
    ]),
]

PRECINCT_NAME = {"en": "Precinct commission No. {n}", "ru": "Участковая избирательная комиссия № {n}",
                 "kk": "№ {n} учаскелік сайлау комиссиясы", "ky": "№ {n} участкалык шайлоо комиссиясы",
                 "tg": "Комиссияи интихоботии участкаи № {n}", "uz": "{n}-sonli uchastka saylov komissiyasi",
                 "tk": "№ {n} saýlaw uçastok topary"}
PRECINCTS_PER_DISTRICT = 3

ACCOUNTS = [
    # username, full name, role, unit code (None: whole organisation), locale
    ("admin", "Aigerim Sadykova", "admin", None, "ru"),
    ("monitor", "Elena Morozova", "monitor", None, "en"),
    ("trainer", "Nurlan Abenov", "trainer", "KZ-ALM", "ru"),
    ("learner", "Gulnara Ismailova", "learner", "KZ-ALM-01-001", "ru"),
]

# contact details for reminders (lms.remind): example addresses and a number in the demo range
CONTACTS = {"learner": ("gulnara.ismailova@example.org", "+77010000001"),
            "trainer": ("nurlan.abenov@example.org", None)}

# modules the demo trainer assigns to the demo learner, with days until due: the second is due within the
# week, so that `flask reminders send --dry-run` on a fresh demo lists its 7-day reminder
DEMO_ASSIGNMENTS = [("mobile-ballot-box", 14), ("polling-and-count", 6), ("observers", 28)]

# generated officials that `demo seed` adds to the demo precincts (LMS_DEMO_LEARNERS of them)
DEMO_PREFIX = "demo-"
DEMO_SEED = 2025
FIRST_NAMES_F = ["Aigul", "Aliya", "Asel", "Dilnoza", "Gulnara", "Madina", "Nargiza", "Saule", "Zarina", "Mehri",
                 "Ogulgerek", "Bermet", "Nodira", "Feruza", "Ainura"]
FIRST_NAMES_M = ["Azamat", "Bakyt", "Daniyar", "Farrukh", "Jamshid", "Murat", "Rustam", "Timur", "Ulugbek", "Sherzod",
                 "Merdan", "Nurlan", "Kanat", "Firdavs", "Serdar"]
SURNAMES = ["Abenov", "Akhmetov", "Bekov", "Djumaev", "Ergeshov", "Ismailov", "Karimov", "Nazarov", "Rakhimov",
            "Sadykov", "Tokhtarov", "Usmanov", "Yusupov", "Zhunusov", "Orazov"]
