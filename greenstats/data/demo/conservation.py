"""Conservation: the 18 protected areas, each guarded through a conservation project, and
the species recorded in them (flagships where they live, and a pool of plausible others with
an IUCN category, a taxon group and a Chinese name)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from greenstats.data.demo.people import DEMO_END, _random_day
from greenstats.data.demo.projects import CONSERVATION_PARTNERS, PARTNER_ZH, PARTNERS

if TYPE_CHECKING:
    from greenstats.data.demo.redemptions import _Catalog


# Exactly 18 protected areas: region, name, lat, lon.
PROTECTED_AREAS: tuple[tuple[str, str, float, float], ...] = (
    ("CN-SC", "Upper Min River Panda Corridor", 31.48, 103.59),
    ("CN-SC", "Pingwu Mountain Forest Reserve", 32.41, 104.53),
    ("CN-SC", "Daxiangling Cloud Forest Reserve", 29.60, 102.60),
    ("CN-SN", "Qinling South Slope Reserve", 33.60, 107.80),
    ("CN-SN", "Hanzhong Ibis Wetland", 33.22, 107.55),
    ("CN-GS", "Wenxian Baishui Valley Reserve", 32.90, 104.80),
    ("CN-GS", "Qilian North Slope Grassland", 38.50, 100.00),
    ("CN-YN", "Gaoligong Ridge Forest", 25.80, 98.80),
    ("CN-YN", "Deqin Snow Mountain Monkey Forest", 28.30, 99.20),
    ("CN-QH", "Upper Yangtze Headwaters Grassland", 34.50, 97.00),
    ("CN-SX", "Luliang Mountains Pheasant Forest", 38.00, 111.50),
    ("CN-NM", "Hulunbuir Steppe Wetland", 49.20, 119.70),
    ("CN-JL", "Hunchun Tiger Corridor", 42.90, 130.40),
    ("CN-HB", "Western Hubei Mountain Forest", 31.60, 110.40),
    ("CN-GZ", "Fanjing Foothills Forest", 27.90, 108.70),
    ("CN-XZ", "Nyingchi Valley Forest", 29.65, 94.36),
    ("CN-HN", "Wuling Mountains Forest", 29.30, 110.40),
    ("CN-JX", "Poyang Lake Crane Wetland", 29.10, 116.30),
)
#: The protected areas' Chinese names.
AREA_ZH: dict[str, str] = {
    "Upper Min River Panda Corridor": "岷江上游大熊猫廊道",
    "Pingwu Mountain Forest Reserve": "平武山地森林保护小区",
    "Daxiangling Cloud Forest Reserve": "大相岭云雾林保护小区",
    "Qinling South Slope Reserve": "秦岭南坡保护小区",
    "Hanzhong Ibis Wetland": "汉中朱鹮湿地",
    "Wenxian Baishui Valley Reserve": "文县白水江河谷保护小区",
    "Qilian North Slope Grassland": "祁连山北坡草原",
    "Gaoligong Ridge Forest": "高黎贡山脊森林",
    "Deqin Snow Mountain Monkey Forest": "德钦雪山滇金丝猴森林",
    "Upper Yangtze Headwaters Grassland": "长江源草原",
    "Luliang Mountains Pheasant Forest": "吕梁山褐马鸡森林",
    "Hulunbuir Steppe Wetland": "呼伦贝尔草原湿地",
    "Hunchun Tiger Corridor": "珲春东北虎廊道",
    "Western Hubei Mountain Forest": "鄂西山地森林",
    "Fanjing Foothills Forest": "梵净山麓森林",
    "Nyingchi Valley Forest": "林芝河谷森林",
    "Wuling Mountains Forest": "武陵山森林",
    "Poyang Lake Crane Wetland": "鄱阳湖白鹤湿地",
}
SPECIES_PER_AREA_SET = 1_500  # distinct species recorded across all areas

# Real flagship species (IUCN category as published): name, common name, category, group,
# regions of the areas they are recorded in.
FLAGSHIP_SPECIES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("Ailuropoda melanoleuca", "giant panda", "VU", "mammals", ("CN-SC", "CN-SN", "CN-GS")),
    (
        "Rhinopithecus roxellana",
        "golden snub-nosed monkey",
        "EN",
        "mammals",
        ("CN-SC", "CN-SN", "CN-GS", "CN-HB"),
    ),
    ("Rhinopithecus bieti", "black snub-nosed monkey", "EN", "mammals", ("CN-YN", "CN-XZ")),
    ("Rhinopithecus brelichi", "Guizhou snub-nosed monkey", "EN", "mammals", ("CN-GZ",)),
    ("Panthera uncia", "snow leopard", "VU", "mammals", ("CN-QH", "CN-GS", "CN-XZ")),
    ("Panthera tigris", "tiger", "EN", "mammals", ("CN-JL",)),
    ("Panthera pardus", "leopard", "VU", "mammals", ("CN-JL", "CN-SX", "CN-SC")),
    ("Ailurus fulgens", "red panda", "EN", "mammals", ("CN-SC", "CN-YN", "CN-XZ")),
    ("Budorcas taxicolor", "takin", "VU", "mammals", ("CN-SC", "CN-SN", "CN-GS")),
    ("Moschus berezovskii", "forest musk deer", "EN", "mammals", ("CN-SC", "CN-SN", "CN-HB")),
    ("Moschus chrysogaster", "alpine musk deer", "EN", "mammals", ("CN-QH", "CN-XZ")),
    ("Ursus thibetanus", "Asiatic black bear", "VU", "mammals", ("CN-SC", "CN-SN", "CN-YN")),
    ("Cuon alpinus", "dhole", "EN", "mammals", ("CN-GS", "CN-QH")),
    ("Procapra przewalskii", "Przewalski's gazelle", "EN", "mammals", ("CN-QH",)),
    ("Pantholops hodgsonii", "Tibetan antelope", "NT", "mammals", ("CN-QH", "CN-XZ")),
    ("Bos mutus", "wild yak", "VU", "mammals", ("CN-QH",)),
    ("Cervus albirostris", "white-lipped deer", "VU", "mammals", ("CN-QH", "CN-GS")),
    ("Naemorhedus griseus", "Chinese goral", "VU", "mammals", ("CN-SC", "CN-SN")),
    ("Capricornis milneedwardsii", "Chinese serow", "NT", "mammals", ("CN-SC", "CN-HN", "CN-GZ")),
    ("Macaca thibetana", "Tibetan macaque", "NT", "mammals", ("CN-SC", "CN-GZ")),
    ("Felis bieti", "Chinese mountain cat", "VU", "mammals", ("CN-QH", "CN-GS")),
    ("Nomascus concolor", "western black crested gibbon", "CR", "mammals", ("CN-YN",)),
    ("Elephas maximus", "Asian elephant", "EN", "mammals", ("CN-YN",)),
    ("Nipponia nippon", "crested ibis", "EN", "birds", ("CN-SN",)),
    ("Grus japonensis", "red-crowned crane", "VU", "birds", ("CN-NM", "CN-JL")),
    ("Grus nigricollis", "black-necked crane", "NT", "birds", ("CN-QH", "CN-YN", "CN-XZ")),
    ("Grus monacha", "hooded crane", "VU", "birds", ("CN-JX", "CN-NM")),
    ("Leucogeranus leucogeranus", "Siberian crane", "CR", "birds", ("CN-JX",)),
    ("Ciconia boyciana", "Oriental stork", "EN", "birds", ("CN-JX", "CN-NM")),
    ("Anser cygnoid", "swan goose", "VU", "birds", ("CN-JX", "CN-NM")),
    ("Otis tarda", "great bustard", "VU", "birds", ("CN-NM", "CN-GS")),
    ("Mergus squamatus", "scaly-sided merganser", "EN", "birds", ("CN-JX", "CN-JL")),
    ("Emberiza aureola", "yellow-breasted bunting", "CR", "birds", ("CN-NM", "CN-JX")),
    ("Lophophorus lhuysii", "Chinese monal", "VU", "birds", ("CN-SC",)),
    ("Crossoptilon mantchuricum", "brown eared pheasant", "VU", "birds", ("CN-SX",)),
    ("Crossoptilon crossoptilon", "white eared pheasant", "NT", "birds", ("CN-SC", "CN-QH")),
    ("Gypaetus barbatus", "bearded vulture", "NT", "birds", ("CN-QH", "CN-XZ")),
    ("Chrysolophus pictus", "golden pheasant", "LC", "birds", ("CN-SN", "CN-SC", "CN-GS")),
    ("Tragopan temminckii", "Temminck's tragopan", "LC", "birds", ("CN-SC", "CN-YN")),
    ("Aquila chrysaetos", "golden eagle", "LC", "birds", ("CN-QH", "CN-GS", "CN-NM")),
    (
        "Andrias davidianus",
        "Chinese giant salamander",
        "CR",
        "amphibians",
        ("CN-SN", "CN-HN", "CN-GZ"),
    ),
    ("Acipenser sinensis", "Chinese sturgeon", "CR", "fish", ("CN-HB",)),
    ("Ginkgo biloba", "ginkgo", "EN", "plants", ("CN-GZ", "CN-HB")),
    ("Metasequoia glyptostroboides", "dawn redwood", "EN", "plants", ("CN-HB",)),
)

#: The flagship species' Chinese common names, by scientific name.
FLAGSHIP_ZH: dict[str, str] = {
    "Ailuropoda melanoleuca": "大熊猫", "Rhinopithecus roxellana": "川金丝猴",
    "Rhinopithecus bieti": "滇金丝猴", "Rhinopithecus brelichi": "黔金丝猴",
    "Panthera uncia": "雪豹", "Panthera tigris": "虎", "Panthera pardus": "豹",
    "Ailurus fulgens": "小熊猫", "Budorcas taxicolor": "羚牛", "Moschus berezovskii": "林麝",
    "Moschus chrysogaster": "马麝", "Ursus thibetanus": "亚洲黑熊", "Cuon alpinus": "豺",
    "Procapra przewalskii": "普氏原羚", "Pantholops hodgsonii": "藏羚", "Bos mutus": "野牦牛",
    "Cervus albirostris": "白唇鹿", "Naemorhedus griseus": "中华斑羚",
    "Capricornis milneedwardsii": "中华鬣羚", "Macaca thibetana": "藏酋猴",
    "Felis bieti": "荒漠猫", "Nomascus concolor": "西黑冠长臂猿", "Elephas maximus": "亚洲象",
    "Nipponia nippon": "朱鹮", "Grus japonensis": "丹顶鹤", "Grus nigricollis": "黑颈鹤",
    "Grus monacha": "白头鹤", "Leucogeranus leucogeranus": "白鹤", "Ciconia boyciana": "东方白鹳",
    "Anser cygnoid": "鸿雁", "Otis tarda": "大鸨", "Mergus squamatus": "中华秋沙鸭",
    "Emberiza aureola": "黄胸鹀", "Lophophorus lhuysii": "绿尾虹雉",
    "Crossoptilon mantchuricum": "褐马鸡", "Crossoptilon crossoptilon": "白马鸡",
    "Gypaetus barbatus": "胡兀鹫", "Chrysolophus pictus": "红腹锦鸡",
    "Tragopan temminckii": "红腹角雉", "Aquila chrysaetos": "金雕", "Andrias davidianus": "大鲵",
    "Acipenser sinensis": "中华鲟", "Ginkgo biloba": "银杏", "Metasequoia glyptostroboides": "水杉",
}  # fmt: skip

# Generated species: genera (with a common-name stem, "" = none) and epithets (with the word a
# common name uses), per taxon group, and each group's share of the species.
TAXON_GROUPS: dict[str, tuple[float, tuple[tuple[str, str], ...]]] = {
    "plants": (0.46, (
        ("Rhododendron", "rhododendron"), ("Primula", "primrose"), ("Pedicularis", "lousewort"),
        ("Saussurea", "saw-wort"), ("Gentiana", "gentian"), ("Carex", "sedge"),
        ("Salix", "willow"), ("Acer", "maple"), ("Quercus", "oak"), ("Abies", "fir"),
        ("Picea", "spruce"), ("Betula", "birch"), ("Sorbus", "rowan"), ("Clematis", "clematis"),
        ("Impatiens", "balsam"), ("Corydalis", "corydalis"), ("Astragalus", "milkvetch"),
        ("Artemisia", "wormwood"), ("Aconitum", "monkshood"), ("Saxifraga", "saxifrage"),
        ("Berberis", "barberry"), ("Lonicera", "honeysuckle"), ("Viburnum", "viburnum"),
        ("Cotoneaster", "cotoneaster"), ("Rubus", "bramble"), ("Ligularia", ""),
        ("Meconopsis", "blue poppy"), ("Allium", "onion"), ("Polygonatum", "Solomon's seal"),
        ("Swertia", ""), ("Epimedium", "barrenwort"), ("Cypripedium", "lady's slipper orchid"),
        ("Dendrobium", ""), ("Paris", ""), ("Ilex", "holly"), ("Magnolia", "magnolia"),
    )),
    "birds": (0.22, (
        ("Garrulax", "laughingthrush"), ("Phylloscopus", "leaf warbler"),
        ("Emberiza", "bunting"), ("Carpodacus", "rosefinch"), ("Turdus", "thrush"),
        ("Ficedula", "flycatcher"), ("Dendrocopos", "woodpecker"), ("Prunella", "accentor"),
        ("Alcippe", "fulvetta"), ("Pnoepyga", "wren-babbler"), ("Sitta", "nuthatch"),
        ("Anthus", "pipit"), ("Lanius", "shrike"), ("Accipiter", "hawk"), ("Strix", "owl"),
        ("Tarsiger", "bush robin"), ("Pycnonotus", "bulbul"), ("Aegithalos", "bushtit"),
        ("Zosterops", "white-eye"), ("Heterophasia", "sibia"), ("Yuhina", "yuhina"),
        ("Columba", "pigeon"),
    )),
    "insects": (0.13, (
        ("Carabus", "ground beetle"), ("Papilio", "swallowtail"), ("Parnassius", "apollo"),
        ("Lucanus", "stag beetle"), ("Bombus", "bumblebee"), ("Cicindela", "tiger beetle"),
        ("Coenonympha", "heath"), ("Aporia", "blackvein"), ("Erebia", "ringlet"),
        ("Onychogomphus", ""), ("Zygaena", ""), ("Lestes", ""),
    )),
    "fish": (0.06, (
        ("Schizothorax", "schizothoracine"), ("Triplophysa", "stone loach"),
        ("Gobio", "gudgeon"), ("Sinocyclocheilus", "golden-line barbel"),
        ("Onychostoma", "barbel"), ("Glyptosternum", "catfish"), ("Rhinogobius", "goby"),
        ("Pseudobagrus", "bagrid catfish"),
    )),
    "mammals": (0.05, (
        ("Ochotona", "pika"), ("Sorex", "shrew"), ("Apodemus", "field mouse"),
        ("Niviventer", "white-bellied rat"), ("Rhinolophus", "horseshoe bat"),
        ("Myotis", "myotis"), ("Mustela", "weasel"), ("Petaurista", "giant flying squirrel"),
        ("Crocidura", "white-toothed shrew"), ("Eothenomys", "red-backed vole"),
        ("Tamiops", "striped squirrel"),
    )),
    "amphibians": (0.045, (
        ("Odorrana", "odorous frog"), ("Rana", "brown frog"), ("Megophrys", "horned toad"),
        ("Amolops", "torrent frog"), ("Tylototriton", "crocodile newt"),
        ("Batrachuperus", "stream salamander"), ("Nanorana", "paa frog"),
        ("Leptobrachium", "leaf-litter toad"),
    )),
    "reptiles": (0.035, (
        ("Gloydius", "pit viper"), ("Elaphe", "ratsnake"), ("Takydromus", "grass lizard"),
        ("Japalura", "japalura"), ("Plestiodon", "skink"), ("Sphenomorphus", "forest skink"),
        ("Oligodon", "kukri snake"), ("Gekko", "gecko"),
    )),
}  # fmt: skip
EPITHETS: tuple[tuple[str, str], ...] = (
    ("sinensis", "Chinese"), ("yunnanensis", "Yunnan"), ("sichuanensis", "Sichuan"),
    ("qinghaiensis", "Qinghai"), ("gansuensis", "Gansu"), ("shaanxiensis", "Shaanxi"),
    ("qinlingensis", "Qinling"), ("emeiensis", "Emei"), ("wolongensis", "Wolong"),
    ("baoxingensis", "Baoxing"), ("lijiangensis", "Lijiang"), ("dulongensis", "Dulong"),
    ("motuoensis", "Medog"), ("nyingchiensis", "Nyingchi"), ("hubeiensis", "Hubei"),
    ("guizhouensis", "Guizhou"), ("hunanensis", "Hunan"), ("jilinensis", "Jilin"),
    ("changbaiensis", "Changbai"), ("kangdingensis", "Kangding"), ("batangensis", "Batang"),
    ("mupinensis", "Moupin"), ("fanjingensis", "Fanjing"), ("gaoligongensis", "Gaoligong"),
    ("davidii", "David's"), ("henryi", "Henry's"), ("wilsonii", "Wilson's"),
    ("forrestii", "Forrest's"), ("fargesii", "Farges's"), ("potaninii", "Potanin's"),
    ("przewalskii", "Przewalski's"), ("delavayi", "Delavay's"), ("franchetii", "Franchet's"),
    ("souliei", "Soulié's"), ("hemsleyi", "Hemsley's"), ("giraldii", "Giraldi's"),
    ("prattii", "Pratt's"), ("farreri", "Farrer's"), ("purdomii", "Purdom's"),
    ("sargentii", "Sargent's"), ("maximowiczii", "Maximowicz's"), ("rockii", "Rock's"),
    ("concolor", "plain"), ("discolor", "two-toned"), ("bicolor", "bicoloured"),
    ("gracilis", "slender"), ("elegans", "elegant"), ("simplex", "simple"),
    ("brevis", "short"), ("tenuis", "thin"), ("alpestris", "alpine"), ("silvestris", "forest"),
)  # fmt: skip
#: Chinese for the common-name stems and epithet words above: a generated species' Chinese
#: common name is its epithet's word then its stem's ("高山杜鹃", "大卫报春").
STEM_ZH: dict[str, str] = {
    "rhododendron": "杜鹃", "primrose": "报春", "lousewort": "马先蒿", "saw-wort": "风毛菊",
    "gentian": "龙胆", "sedge": "薹草", "willow": "柳", "maple": "槭", "oak": "栎",
    "fir": "冷杉", "spruce": "云杉", "birch": "桦", "rowan": "花楸", "clematis": "铁线莲",
    "balsam": "凤仙花", "corydalis": "紫堇", "milkvetch": "黄芪", "wormwood": "蒿",
    "monkshood": "乌头", "saxifrage": "虎耳草", "barberry": "小檗", "honeysuckle": "忍冬",
    "viburnum": "荚蒾", "cotoneaster": "栒子", "bramble": "悬钩子", "blue poppy": "绿绒蒿",
    "onion": "葱", "Solomon's seal": "黄精", "barrenwort": "淫羊藿",
    "lady's slipper orchid": "杓兰", "holly": "冬青", "magnolia": "木兰",
    "laughingthrush": "噪鹛", "leaf warbler": "柳莺", "bunting": "鹀", "rosefinch": "朱雀",
    "thrush": "鸫", "flycatcher": "姬鹟", "woodpecker": "啄木鸟", "accentor": "岩鹨",
    "fulvetta": "雀鹛", "wren-babbler": "鹪鹛", "nuthatch": "䴓", "pipit": "鹨",
    "shrike": "伯劳", "hawk": "鹰", "owl": "林鸮", "bush robin": "鸲", "bulbul": "鹎",
    "bushtit": "长尾山雀", "white-eye": "绣眼鸟", "sibia": "奇鹛", "yuhina": "凤鹛",
    "pigeon": "鸽", "ground beetle": "步甲", "swallowtail": "凤蝶", "apollo": "绢蝶",
    "stag beetle": "锹甲", "bumblebee": "熊蜂", "tiger beetle": "虎甲", "heath": "珍眼蝶",
    "blackvein": "绢粉蝶", "ringlet": "红眼蝶", "schizothoracine": "裂腹鱼",
    "stone loach": "高原鳅", "gudgeon": "鮈", "golden-line barbel": "金线鲃",
    "barbel": "光唇鱼", "catfish": "鮡", "goby": "吻虾虎鱼", "bagrid catfish": "拟鲿",
    "pika": "鼠兔", "shrew": "鼩鼱", "field mouse": "姬鼠", "white-bellied rat": "白腹鼠",
    "horseshoe bat": "菊头蝠", "myotis": "鼠耳蝠", "weasel": "鼬",
    "giant flying squirrel": "鼯鼠", "white-toothed shrew": "麝鼩",
    "red-backed vole": "绒鼠", "striped squirrel": "花松鼠", "odorous frog": "臭蛙",
    "brown frog": "林蛙", "horned toad": "角蟾", "torrent frog": "湍蛙",
    "crocodile newt": "疣螈", "stream salamander": "山溪鲵", "paa frog": "倭蛙",
    "leaf-litter toad": "拟髭蟾", "pit viper": "亚洲蝮", "ratsnake": "锦蛇",
    "grass lizard": "草蜥", "japalura": "攀蜥", "skink": "石龙子", "forest skink": "蜓蜥",
    "kukri snake": "小头蛇", "gecko": "壁虎",
}  # fmt: skip
#: Chinese for the genera without an English common-name stem.
GENUS_ZH: dict[str, str] = {
    "Ligularia": "橐吾", "Swertia": "獐牙菜", "Dendrobium": "石斛", "Paris": "重楼",
    "Onychogomphus": "钩尾春蜓", "Zygaena": "斑蛾", "Lestes": "丝蟌",
}  # fmt: skip
EPITHET_ZH: dict[str, str] = {
    "Chinese": "中华", "Yunnan": "云南", "Sichuan": "四川", "Qinghai": "青海", "Gansu": "甘肃",
    "Shaanxi": "陕西", "Qinling": "秦岭", "Emei": "峨眉", "Wolong": "卧龙", "Baoxing": "宝兴",
    "Lijiang": "丽江", "Dulong": "独龙", "Medog": "墨脱", "Nyingchi": "林芝", "Hubei": "湖北",
    "Guizhou": "贵州", "Hunan": "湖南", "Jilin": "吉林", "Changbai": "长白", "Kangding": "康定",
    "Batang": "巴塘", "Moupin": "穆坪", "Fanjing": "梵净", "Gaoligong": "高黎贡",
    "David's": "大卫", "Henry's": "亨利", "Wilson's": "威氏", "Forrest's": "傅氏",
    "Farges's": "法氏", "Potanin's": "波氏", "Przewalski's": "普氏", "Delavay's": "德氏",
    "Franchet's": "弗氏", "Soulié's": "苏氏", "Hemsley's": "韩氏", "Giraldi's": "吉氏",
    "Pratt's": "蒲氏", "Farrer's": "费氏", "Purdom's": "珀氏", "Sargent's": "萨氏",
    "Maximowicz's": "马氏", "Rock's": "骆氏", "plain": "素色", "two-toned": "异色",
    "bicoloured": "二色", "slender": "细", "elegant": "秀丽", "simple": "单", "short": "短",
    "thin": "纤细", "alpine": "高山", "forest": "林地",
}  # fmt: skip
IUCN_MIX: dict[str, float] = {"LC": 0.755, "NT": 0.075, "VU": 0.05, "EN": 0.022, "CR": 0.007,
                              "DD": 0.06, "NE": 0.031}  # fmt: skip


# --- the areas and their species ---------------------------------------------------------------


class _Area(NamedTuple):
    area_id: str
    name: str
    name_zh: str
    partner: str
    region: str
    area_ha: float
    established_on: date
    lat: float
    lon: float
    project_id: str


def _protected_areas(rng: np.random.Generator) -> list[_Area]:
    """The 18 protected areas, each guarded through a conservation project of its own."""
    out = []
    numbers: dict[str, int] = {}
    for region, name, lat, lon in PROTECTED_AREAS:
        numbers[region] = numbers.get(region, 0) + 1
        suffix = f"{region[3:]}-{numbers[region]:02d}"
        area_ha = round(float(np.exp(rng.uniform(np.log(1_000), np.log(200_000)))), 1)
        established = _random_day(rng, date(2017, 3, 1), date(2021, 10, 31))
        partner = PARTNERS[int(rng.choice(CONSERVATION_PARTNERS))]
        out.append(
            _Area(f"PA-{suffix}", name, AREA_ZH[name], partner, region, area_ha, established,
                  lat, lon, f"CV-{suffix}")
        )  # fmt: skip
    return out


def _area_rows(cat: _Catalog) -> list[dict]:
    """protected_areas.csv."""
    return [{**a._asdict(), "partner_zh": PARTNER_ZH[a.partner]} for a in cat.areas]


def _species_pool(
    rng: np.random.Generator,
) -> list[tuple[str, str | None, str | None, str, str]]:
    """(scientific name, common name, its Chinese, IUCN category, group) of the species not in
    FLAGSHIPS."""
    taken = {f[0] for f in FLAGSHIP_SPECIES}
    n = SPECIES_PER_AREA_SET - len(FLAGSHIP_SPECIES)
    shares = np.array([share for share, _ in TAXON_GROUPS.values()])
    counts = np.floor(shares / shares.sum() * n).astype(int)
    counts[0] += n - counts.sum()
    pool = []
    for (group, (_, genera)), count in zip(TAXON_GROUPS.items(), counts, strict=True):
        combos = [(g, e) for g in genera for e in EPITHETS if f"{g[0]} {e[0]}" not in taken]
        for k in rng.permutation(len(combos))[:count]:
            (genus, stem), (epithet, word) = combos[k]
            named = stem and (group not in ("plants", "insects") or rng.random() < 0.6)
            category = str(rng.choice(list(IUCN_MIX), p=list(IUCN_MIX.values())))
            # Nearly every species has a Chinese name, even without an English one.
            common = f"{word} {stem}" if named else None
            common_zh = EPITHET_ZH[word] + (STEM_ZH[stem] if stem else GENUS_ZH[genus])
            pool.append((f"{genus} {epithet}", common, common_zh, category, group))
    return pool


def _area_species(cat: _Catalog, rng: np.random.Generator) -> list[dict]:
    """About 1,500 distinct species over the 18 areas; some occur in several areas."""
    areas = cat.areas
    rows = []
    for name, common, category, group, regions in FLAGSHIP_SPECIES:
        for a in areas:
            if a.region in regions:
                names = (common, FLAGSHIP_ZH[name])
                rows.append(_species_row(a, name, names, category, group, rng))
    for name, common, common_zh, category, group in _species_pool(rng):
        k = 1 + int(rng.random() < 0.12) + int(rng.random() < 0.04)
        for i in rng.choice(len(areas), k, replace=False):
            rows.append(_species_row(areas[i], name, (common, common_zh), category, group, rng))
    rows.sort(key=lambda r: (r["area_id"], r["scientific_name"]))
    return rows


def _species_row(
    area: _Area, name: str, common: tuple[str | None, str | None], category: str, group: str,
    rng: np.random.Generator,
) -> dict:  # fmt: skip
    """One species in one area (common name in English and Chinese, or None), last observed
    some time after the area was set up."""
    span = (DEMO_END - area.established_on).days
    seen = area.established_on + timedelta(int(span * rng.beta(3, 1)))
    return {"area_id": area.area_id, "scientific_name": name, "iucn_category": category,
            "common_name": common[0], "common_name_zh": common[1], "taxon_group": group,
            "last_observed_on": None if rng.random() < 0.08 else seen}  # fmt: skip
