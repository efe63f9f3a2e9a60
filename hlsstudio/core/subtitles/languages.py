"""Language tags for subtitle tracks: normalised BCP 47 tags and names readers recognise.

A track's language is a BCP 47 tag in its shortest form: the ISO 639-1 code where one exists
(``en``, ``fr``, ``sw``), else the ISO 639-2/3 code (``fil``, ``yue``), with an optional script and
region (``zh-Hant``, ``pt-BR``, ``es-419``). ``None`` means undetermined (``und`` in playlists).
"""

from __future__ import annotations

import re

from pydantic import BaseModel

UNDETERMINED = "und"

# ISO 639-1 code, then its ISO 639-2 code(s): bibliographic first where the two differ (fre, fra).
_ISO_639 = """
aa aar, ab abk, ae ave, af afr, ak aka, am amh, an arg, ar ara, as asm, av ava, ay aym, az aze,
ba bak, be bel, bg bul, bi bis, bm bam, bn ben, bo tib bod, br bre, bs bos, ca cat, ce che,
ch cha, co cos, cr cre, cs cze ces, cu chu, cv chv, cy wel cym, da dan, de ger deu, dv div,
dz dzo, ee ewe, el gre ell, en eng, eo epo, es spa, et est, eu baq eus, fa per fas, ff ful,
fi fin, fj fij, fo fao, fr fre fra, fy fry, ga gle, gd gla, gl glg, gn grn, gu guj, gv glv,
ha hau, he heb, hi hin, ho hmo, hr hrv, ht hat, hu hun, hy arm hye, hz her, ia ina, id ind,
ie ile, ig ibo, ii iii, ik ipk, io ido, is ice isl, it ita, iu iku, ja jpn, jv jav, ka geo kat,
kg kon, ki kik, kj kua, kk kaz, kl kal, km khm, kn kan, ko kor, kr kau, ks kas, ku kur, kv kom,
kw cor, ky kir, la lat, lb ltz, lg lug, li lim, ln lin, lo lao, lt lit, lu lub, lv lav, mg mlg,
mh mah, mi mao mri, mk mac mkd, ml mal, mn mon, mr mar, ms may msa, mt mlt, my bur mya, na nau,
nb nob, nd nde, ne nep, ng ndo, nl dut nld, nn nno, no nor, nr nbl, nv nav, ny nya, oc oci,
oj oji, om orm, or ori, os oss, pa pan, pi pli, pl pol, ps pus, pt por, qu que, rm roh, rn run,
ro rum ron, ru rus, rw kin, sa san, sc srd, sd snd, se sme, sg sag, si sin, sk slo slk, sl slv,
sm smo, sn sna, so som, sq alb sqi, sr srp, ss ssw, st sot, su sun, sv swe, sw swa, ta tam,
te tel, tg tgk, th tha, ti tir, tk tuk, tl tgl, tn tsn, to ton, tr tur, ts tso, tt tat, tw twi,
ty tah, ug uig, uk ukr, ur urd, uz uzb, ve ven, vi vie, vo vol, wa wln, wo wol, xh xho, yi yid,
yo yor, za zha, zh chi zho, zu zul
"""
# Codes without a two-letter form that subtitle files use, kept as they are.
_THREE_LETTER_ONLY = frozenset({"ast", "ceb", "ckb", "cmn", "fil", "gsw", "haw", "hmn", "nds", "sco", "yue"})
# Old or vendor codes seen in file names (OpenSubtitles' "pob"), and what they mean.
_ALIASES = {"iw": "he", "ji": "yi", "pob": "pt-BR", "pb": "pt-BR", "scc": "sr", "scr": "hr"}

# tag=its name in itself=its English name: names shown to viewers, and file-name
# words recognised as a language ("film.French.srt", "film.español.srt").
_NAMES = """
af=Afrikaans=Afrikaans; ar=العربية=Arabic; bg=Български=Bulgarian; bn=বাংলা=Bengali;
bs=Bosanski=Bosnian; ca=Català=Catalan; cs=Čeština=Czech; cy=Cymraeg=Welsh; da=Dansk=Danish;
de=Deutsch=German; el=Ελληνικά=Greek; en=English=English; es=Español=Spanish; et=Eesti=Estonian;
eu=Euskara=Basque; fa=فارسی=Persian; fi=Suomi=Finnish; fil=Filipino=Filipino; fr=Français=French;
ga=Gaeilge=Irish; gl=Galego=Galician; he=עברית=Hebrew; hi=हिन्दी=Hindi; hr=Hrvatski=Croatian;
hu=Magyar=Hungarian; id=Bahasa Indonesia=Indonesian; is=Íslenska=Icelandic; it=Italiano=Italian;
ja=日本語=Japanese; ka=ქართული=Georgian; ko=한국어=Korean; lt=Lietuvių=Lithuanian; lv=Latviešu=Latvian;
mk=Македонски=Macedonian; ms=Bahasa Melayu=Malay; nb=Norsk bokmål=Norwegian Bokmål;
nl=Nederlands=Dutch; nn=Norsk nynorsk=Norwegian Nynorsk; no=Norsk=Norwegian; pl=Polski=Polish;
pt=Português=Portuguese; ro=Română=Romanian; ru=Русский=Russian; sk=Slovenčina=Slovak;
sl=Slovenščina=Slovenian; sq=Shqip=Albanian; sr=Српски=Serbian; sv=Svenska=Swedish;
sw=Kiswahili=Swahili; ta=தமிழ்=Tamil; te=తెలుగు=Telugu; th=ไทย=Thai; tl=Tagalog=Tagalog;
tr=Türkçe=Turkish; uk=Українська=Ukrainian; ur=اردو=Urdu; vi=Tiếng Việt=Vietnamese;
yue=粵語=Cantonese; zh=中文=Chinese
"""
# Names of tags with a script or region where "Name (REGION)" would read poorly.
_REGIONAL_NAMES = {
    "pt-BR": "Português (Brasil)",
    "pt-PT": "Português (Portugal)",
    "es-419": "Español (Latinoamérica)",
    "es-ES": "Español (España)",
    "es-MX": "Español (México)",
    "fr-CA": "Français (Canada)",
    "fr-FR": "Français (France)",
    "en-GB": "English (UK)",
    "en-US": "English (US)",
    "zh-Hans": "中文（简体）",
    "zh-Hant": "中文（繁體）",
    "zh-CN": "中文（中国）",
    "zh-TW": "中文（台灣）",
    "zh-HK": "中文（香港）",
}


def _parse_iso_639() -> dict[str, str]:
    """Every ISO 639-1 and ISO 639-2 code of the table -> its two-letter code."""
    codes: dict[str, str] = {}
    for entry in _ISO_639.replace("\n", " ").split(","):
        two, *three = entry.split()
        codes[two] = two
        codes.update(dict.fromkeys(three, two))
    return codes


def _parse_names() -> tuple[dict[str, str], dict[str, str]]:
    """(tag -> name in the language itself, lower-case native or English name -> tag)."""
    native: dict[str, str] = {}
    words: dict[str, str] = {}
    for entry in _NAMES.replace("\n", " ").split(";"):
        tag, own, english = (part.strip() for part in entry.split("="))
        native[tag] = own
        for name in (own, english):
            words.setdefault(name.casefold(), tag)
    return native, words


_TO_TWO_LETTER = _parse_iso_639()
_NATIVE_NAMES, _NAME_WORDS = _parse_names()
_SUBTAG = re.compile(r"^[A-Za-z]{2,8}$|^\d{3}$")


def _primary(code: str) -> str | None:
    """A primary language subtag in its shortest form, or None when it is not a known language."""
    code = code.lower()
    if code in _TO_TWO_LETTER:
        return _TO_TWO_LETTER[code]
    return code if code in _THREE_LETTER_ONLY else None


def normalize_language(text: str) -> str | None:
    """The BCP 47 tag ``text`` names, in its shortest form, or None when it names no known language.

    Accepts ISO 639-1 and 639-2 codes in any case (``EN``, ``fre``, ``swa`` -> ``sw``), a script
    and/or a region (``pt_br`` -> ``pt-BR``, ``zh-hant`` -> ``zh-Hant``, ``es-419``), and the names
    of the common languages in English or in themselves (``French``, ``français``). ``und`` and
    anything unrecognised give None.
    """
    text = text.strip()
    if not text or len(text) > 40:
        return None
    if (alias := _ALIASES.get(text.lower())) is not None:
        return alias
    if (named := _NAME_WORDS.get(text.casefold())) is not None:
        return named
    primary, *subtags = re.split(r"[-_]", text)
    language = _primary(primary)
    if language is None or len(subtags) > 2 or not all(_SUBTAG.match(s) for s in subtags):
        return None
    parts = [language]
    for position, subtag in enumerate(subtags):
        if len(subtag) == 4 and subtag.isalpha() and position == 0:
            parts.append(subtag.title())  # script: Hant, Latn
        elif (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit()):
            parts.append(subtag.upper())  # region: BR, 419
        else:
            return None
    return "-".join(parts)


def language_name(tag: str | None) -> str:
    """A name viewers can read for a language tag, in that language ("English", "Français").

    A tag with a region or script reads "Português (Brasil)" or "Deutsch (AT)"; a tag outside the
    table stays as it is ("yo"); None or ``und`` gives "Subtitles".
    """
    if tag is None or tag.lower() == UNDETERMINED:
        return "Subtitles"
    if tag in _REGIONAL_NAMES:
        return _REGIONAL_NAMES[tag]
    primary, _, rest = tag.partition("-")
    name = _NATIVE_NAMES.get(primary)
    if name is None:
        return tag
    return f"{name} ({rest})" if rest else name


class TrackLabel(BaseModel):
    """What a subtitle track is: its language (a BCP 47 tag, None = undetermined) and its kind."""

    language: str | None = None
    forced: bool = False
    """Only the lines a viewer needs whatever language they chose (signs, foreign dialogue)."""
    sdh: bool = False
    """For the deaf and hard of hearing: sounds and speakers described too (SDH, CC, HI)."""

    def display_name(self) -> str:
        """The track's name in a player's menu: "English", "English (SDH)", "Français (forced)"."""
        flags = [word for word, on in (("SDH", self.sdh), ("forced", self.forced)) if on]
        name = language_name(self.language)
        return f"{name} ({', '.join(flags)})" if flags else name
