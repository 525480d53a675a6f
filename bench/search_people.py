"""Generated people for bench/patient_search.py: names of several cultures (accents,
Arabic script, a long tail of rare names), birth dates, phones and national IDs.

Person `i` depends only on (seed, i), so the queries can be drawn from the people
without reading them back, and a load can resume at any chunk.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass


def _names(text: str) -> list[str]:
    return text.split()


# culture: (weight, male given, female given, family, middle names (male, female))
CULTURES = {
    "east_african": (
        30,
        _names(
            "John Peter Joseph David Daniel Samuel Brian Kevin Dennis Moses Collins Otieno "
            "Odhiambo Ochieng Onyango Kamau Mwangi Njoroge Kipchoge Kibet Wafula Juma Baraka "
            "Amani Jabari Chege Gitau Omondi Owino Emmanuel Felix Victor Kiprono Cheruiyot"
        ),
        _names(
            "Mary Grace Faith Joyce Esther Ruth Mercy Caroline Agnes Beatrice Purity Winnie "
            "Wanjiku Wambui Njeri Nyambura Akinyi Atieno Achieng Awino Adhiambo Chebet "
            "Jepkoech Nafula Nekesa Mwende Mumbua Zawadi Neema Imani Rehema Pendo Wanjiru"
        ),
        _names(
            "Kamau Mwangi Otieno Odhiambo Ochieng Onyango Wanjiru Njoroge Kariuki Kimani Mutua "
            "Musyoka Kiprono Kibet Cheruiyot Rotich Koech Langat Kiptoo Wekesa Barasa Wafula "
            "Simiyu Wanyama Juma Ngugi Githinji Macharia Gitau Chege Kinyua Muriuki Maina "
            "Ndungu Nyaga Mugo Karanja Owino Oduor Omondi Okoth Ouma Opiyo Okello Nyongesa "
            "Mwita Chacha Marwa Kazungu Charo Katana Njuguna Kinyanjui Waweru Mbugua Wachira"
        ),
        ([], []),
    ),
    "english": (
        14,
        _names(
            "John James William Robert Michael David Richard Thomas Charles George Edward "
            "Henry Jack Oliver Harry Samuel Daniel Matthew Andrew Christopher Jonathan"
        ),
        _names(
            "Mary Elizabeth Sarah Emma Olivia Sophie Charlotte Emily Jessica Hannah Grace "
            "Alice Lucy Catherine Margaret Rebecca Victoria Zoë Chloë Abigail Kathryn"
        ),
        _names(
            "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts "
            "Robinson Thompson Wright Walker White Edwards Hughes Green Hall Wood Harris "
            "Martin Jackson Clarke Clark Turner Hill Scott Cooper Morris Ward Moore King"
        ),
        (_names("James John Paul Edward"), _names("Anne Louise Marie Jane")),
    ),
    "hispanic": (
        10,
        _names(
            "José Juan Luis Carlos Jesús Andrés Sebastián Matías Nicolás Tomás Ramón Héctor "
            "Óscar Rubén Martín Adrián Iván Álvaro Miguel Alejandro"
        ),
        _names(
            "María Sofía Lucía Valentina Camila Isabel Ana Mónica Verónica Inés Belén "
            "Raquel Beatriz Pilar Mercedes Rocío Natalia Ángela Julia Elena"
        ),
        _names(
            "García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez "
            "Torres Flores Rivera Gómez Díaz Reyes Morales Jiménez Ruiz Álvarez Muñoz "
            "Romero Ortiz Gutiérrez Castro Vargas Peña Núñez Ibáñez Domínguez Vázquez"
        ),
        (_names("José Luis Antonio Manuel"), _names("María Carmen José Luisa")),
    ),
    "french": (
        5,
        _names("François Jérôme Étienne Hervé Benoît Rémi Gaël Noël Loïc Jean Pierre Michel"),
        _names("Hélène Élodie Céline Amélie Chloé Maëlle Noémie Léa Anaïs Françoise Aurélie"),
        _names(
            "Lefèvre Gauthier Dubois Lemaître Bénard Moreau Laurent Girard Rousseau Leroy "
            "Fontaine Chevalier Mercier Boucher Lécuyer Caron Périer Thibault"
        ),
        (_names("Marie Pierre"), _names("Marie Claire")),
    ),
    "arabic": (
        10,
        _names(
            "Mohammed Muhammad Mohamed Ahmed Ali Omar Hassan Hussein Ibrahim Yusuf Khalid "
            "Abdullah Mustafa Tariq Karim Said Salim Hamza Bilal Faisal"
        ),
        _names(
            "Fatima Aisha Khadija Maryam Zainab Amina Halima Layla Nour Salma Huda Rania "
            "Yasmin Samira Hana Leila Asma Mariam Zahra Noor"
        ),
        _names(
            "Al-Rashid Haddad Abdullah Hassan Hussein Mansour Nasser Khalil Saleh Farah "
            "Aziz Hamdan Qureshi El-Amin Mahmoud Suleiman Jaber Darwish Bakr Othman"
        ),
        ([], []),
    ),
    "arabic_script": (
        3,
        _names("محمد أحمد علي عمر حسن حسين إبراهيم يوسف خالد عبدالله مصطفى سعيد"),
        _names("فاطمة عائشة خديجة مريم زينب أمينة حليمة ليلى نور سلمى هدى"),
        _names("الرشيد حداد عبدالله منصور ناصر خليل صالح فرح عزيز حمدان محمود سليمان"),
        ([], []),
    ),
    "south_asian": (
        8,
        _names("Rahul Arjun Vikram Amit Rohan Sanjay Rajesh Anil Suresh Deepak Imran Farhan"),
        _names("Priya Anjali Pooja Neha Sunita Kavita Deepa Lakshmi Asha Meena Farah Ayesha"),
        _names("Sharma Patel Singh Kumar Reddy Nair Gupta Shah Mehta Iyer Rao Joshi Desai"),
        ([], []),
    ),
    "chinese": (
        5,
        _names("Wei Jun Lei Hao Ming Jie Qiang Tao Xiaoming Zhiwei Jianguo"),
        _names("Fang Jing Min Yan Hui Ling Xia Mei Xiaoyan Lihua Yun"),
        _names("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo"),
        ([], []),
    ),
    "vietnamese": (
        4,
        _names("Minh Dũng Hùng Tuấn Quang Hoàng Thắng Đức Long Phúc"),
        _names("Thảo Hương Lan Mai Ngọc Linh Trang Hằng Phương Thủy"),
        _names("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ"),
        (_names("Văn Hữu Đức"), _names("Thị Ngọc")),
    ),
    "european": (
        6,
        _names("Łukasz Jürgen Søren Björn Jörg Paweł Michał Tomasz Ömer Çağan Yiğit Stefan"),
        _names("Małgorzata Zoë Åsa Sigríður Agnieszka Katarzyna Şule Gülay Jürgena Anja"),
        _names(
            "Müller Schäfer Wójcik Kowalski Nowak Jørgensen Lewandowski Öztürk Çelik Yıldız "
            "Şahin Kaczmarek Hoffmann Schröder Fischer Weiß Nielsen Søndergaard"
        ),
        ([], []),
    ),
}
_CULTURE_NAMES = list(CULTURES)
_CULTURE_WEIGHTS = [CULTURES[c][0] for c in _CULTURE_NAMES]
_SYLLABLES = _names(
    "ka ki ku ma mi mu na ni nu wa we wi ba be bi ta te ti ja jo ra ri ro la li lo "
    "sa si so ha he ho ga go da de do ya yo ze zu cha che sha shi nya nye mba nga ndu"
)


def _zipf(rng: random.Random, items: list[str]) -> str:
    # Name frequencies are skewed: the first names of each list are the common ones.
    weights = _zipf_weights(len(items))
    return rng.choices(items, weights)[0]


_WEIGHTS: dict[int, list[float]] = {}


def _zipf_weights(n: int) -> list[float]:
    if n not in _WEIGHTS:
        _WEIGHTS[n] = [1 / (rank + 1) ** 0.9 for rank in range(n)]
    return _WEIGHTS[n]


def rare_name(rng: random.Random) -> str:
    # The long tail of real registries: names few other patients share.
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


@dataclass(frozen=True)
class Person:
    given: str
    middle: str
    family: str
    sex: str
    birth_date: dt.date
    phone: str  # E.164
    national_id: str


def person(seed: int, i: int) -> Person:
    rng = random.Random(seed * 10_000_019 + i)
    culture = rng.choices(_CULTURE_NAMES, _CULTURE_WEIGHTS)[0]
    _, male, female, family_names, (male_middle, female_middle) = CULTURES[culture]
    sex = rng.choice(("male", "female"))
    given = _zipf(rng, male if sex == "male" else female)
    middles = male_middle if sex == "male" else female_middle
    middle = _zipf(rng, middles) if middles and rng.random() < 0.4 else ""
    family = _zipf(rng, family_names)
    if culture in ("east_african", "english") and rng.random() < 0.25:
        family = rare_name(rng)
    if culture == "east_african" and rng.random() < 0.1:
        given = rare_name(rng)
    born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(33_000))
    # Unique by construction: the index, scrambled, in the 7xx mobile range.
    scrambled = (i * 7_919_773 + seed) % 100_000_000
    phone = f"+2547{scrambled:08d}"
    national_id = f"{(i * 48_271 + 10_000_019) % 90_000_000 + 10_000_000}"
    return Person(given, middle, family, sex, born, phone, national_id)


def national_phone(phone: str, rng: random.Random) -> str:
    """The ways clerks type a Kenyan mobile number."""
    local = "0" + phone[4:]
    return rng.choice(
        [
            local,
            f"{local[:4]} {local[4:7]} {local[7:]}",
            phone,
            f"+254 {phone[4:7]} {phone[7:10]} {phone[10:]}",
            phone[1:],
        ]
    )


def typo(word: str, rng: random.Random) -> str:
    """One slip of the finger: a swapped, dropped, doubled or wrong letter (never the
    first letter, which clerks rarely get wrong)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    if not word[i : i + 2].isalpha():
        return word[:i] + word[i + 1 :] if word[i].isalpha() else word
    kind = rng.choice(("swap", "drop", "double", "wrong"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiourstnl".replace(word[i].lower(), "")) + word[i + 1 :]
