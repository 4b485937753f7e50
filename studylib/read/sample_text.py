"""Words for the sample study: what customers of a council say, many ways, per demand type.

Kept apart from the generator so that the generator reads as logic. Slots in braces are filled by
the generator: {street}, {n}, {weeks}, {days}, {item}, {ref}, {day}, {month}, {amount}.
"""

STREETS = [
    "Mill Lane", "Station Road", "Church Street", "Victoria Road", "Park Avenue", "Queen Street",
    "The Crescent", "Manor Way", "Elm Grove", "Chapel Walk", "Brook Street", "Hollybush Lane",
    "Forest Road", "Albert Terrace", "Kingsway", "Meadow Close", "Orchard Rise", "Canal Side",
    "Beech Drive", "High Street", "Market Place", "Bridge Street", "Sandy Lane", "Cross Street",
    "Windmill Hill", "Larkspur Court", "Foundry Row", "Gladstone Street", "Ashfield Road",
    "Cemetery Road", "Northgate", "Westfield Lane", "Oak Tree Way", "Coronation Avenue",
]

OPENERS = {
    "phone": ["", "Hi, ", "Hello, ", "Yes hello, ", "Hiya, ", "Morning, ", "Afternoon, ",
              "Hi there, ", "Right, ", "Hello love, "],
    "face_to_face": ["", "Hello, ", "Excuse me, ", "Hi, "],
    "email": ["", "Dear Sir/Madam, ", "Hello, ", "To whom it may concern, ", "Hi, "],
    "web": ["", "", "", "Hello. "],
    "app": ["", "", ""],
    "social": ["@NorthbrookBC ", "@NorthbrookBC ", "Hey @NorthbrookBC ", ".@NorthbrookBC "],
    "letter": ["Dear Council, ", "Dear Sir or Madam, ", "To the Council, "],
}
CLOSERS = ["", "", "", " Thanks.", " Thank you.", " Can someone sort it please?",
           " Please can you help.", " Cheers.", " I'd appreciate a call back.", " Ta."]

# value demand ------------------------------------------------------------------------------------
PHRASES = {
    "Report a pot-hole": [
        "there's a pot-hole outside number {n} {street}",
        "I want to report a pothole on {street}, near number {n}",
        "big hole in the road on {street}, it's getting deeper every day",
        "pothole on {street} by the bus stop, nearly lost my front wheel in it",
        "there is a huge pot hole on the corner of {street}",
        "the road's broken up outside {n} {street}, cars are swerving round it",
        "reporting a dangerous pothole at {street} junction",
        "someone's going to come off their bike, there's a hole in the road on {street}",
        "deep pothole {street} opposite the shop, full of water so you can't see it",
        "the surface has gone on {street}, there's a crater near number {n}",
    ],
    "Street light not working": [
        "the street light outside {n} {street} isn't working",
        "streetlight out on {street}, it's pitch black at night",
        "lamp post by number {n} {street} has been off for {days} days",
        "street lamp on {street} keeps flickering on and off",
        "no lights on {street} near the alleyway, it's not safe walking home",
        "the light on the column outside my house on {street} is out",
    ],
    "Report fly-tipping": [
        "someone's dumped a load of rubbish at the end of {street}",
        "fly tipping in the lane behind {street}, mattresses and bags",
        "there's a sofa and a fridge dumped on {street}",
        "rubbish bags dumped on the verge by {street}, the foxes are getting at them",
        "reporting fly-tipping next to the garages on {street}",
        "builders' rubble dumped overnight on {street}",
        "a pile of tyres has been left on {street}",
    ],
    "Report graffiti": [
        "graffiti sprayed on the wall at {street}",
        "someone has tagged the bus shelter on {street}",
        "there's offensive graffiti on the underpass by {street}",
        "graffiti all over the fence on {street}, kids walk past it to school",
    ],
    "Book a bulky waste collection": [
        "I'd like to book a bulky collection for a {item}",
        "can you come and take away an old {item}",
        "how do I get rid of a {item}, I want to book a collection",
        "need a {item} collecting please",
        "book bulky waste pick up: {item} and a couple of chairs",
        "we've got a {item} to get rid of, can you collect it",
        "could I arrange for a {item} to be collected from {street}",
    ],
    "Order a new bin": [
        "I need a new recycling bin, ours has cracked",
        "can I order a food waste caddy",
        "our wheelie bin has gone missing, can I get a new one",
        "we've just moved into {n} {street} and there are no bins",
        "the bin lorry broke the lid of my bin, I need a replacement",
        "order an extra green bin please",
    ],
    "Report a repair": [
        "my boiler's stopped working and I've got no hot water",
        "there's water coming through the kitchen ceiling",
        "the front door won't lock properly",
        "I've got damp and mould in the back bedroom",
        "the toilet keeps running and won't stop",
        "my bathroom tap is leaking",
        "the window in the lounge won't shut, it's freezing",
        "the heating's not working in the flat",
        "there's a crack in the wall that's getting bigger",
        "the kitchen cupboard door has come off",
        "the extractor fan in the bathroom doesn't work",
        "the stair rail is coming away from the wall, I'm worried my mum will fall",
        "radiator in the bedroom is cold at the top",
        "the shower's broken",
    ],
    "Set up a direct debit": [
        "I want to pay my council tax by direct debit",
        "can I set up a direct debit for my council tax",
        "I'd like to change my payment date to the 15th",
        "how do I pay monthly by direct debit",
        "set up DD for council tax please, account ending {n}",
    ],
    "Tell us I'm moving": [
        "I'm moving out of {n} {street} on the {day} and need to close my account",
        "I've moved into {n} {street}, need to register for council tax",
        "letting you know I'm moving house next month",
        "we moved out of {street} last week, what do I need to do about council tax",
        "change of address for council tax please",
    ],
    "Apply for single person discount": [
        "I live on my own now, can I get the single person discount",
        "my partner has moved out, I'm the only adult here",
        "I want to apply for the 25% discount as I live alone",
        "my son's left home so it's just me, is there a discount",
    ],
}

# failure demand ----------------------------------------------------------------------------------
FAILURE_PHRASES = {
    # progress chasing
    "Chasing a reported problem": [
        "I reported the {thing} on {street} {weeks} weeks ago and nothing's happened",
        "what's happening with the {thing} I reported on {street}? reference {ref}",
        "this is the third time I've rung about the {thing} on {street}",
        "still waiting for someone to deal with the {thing} on {street}",
        "any update on {ref}? the {thing} is still there",
        "I was told it would be sorted in five days, it's been {weeks} weeks",
        "following up my report about the {thing}, nobody has got back to me",
    ],
    "Chasing a repair": [
        "I reported my {repair} {weeks} weeks ago, when is someone coming?",
        "just ringing to chase my repair, reference {ref}",
        "nobody's been out to fix the {repair} yet",
        "I'm still waiting for the {repair} to be fixed, what's going on?",
        "can you tell me when the contractor is coming about the {repair}?",
        "I've been waiting {weeks} weeks for the {repair}, I've got kids in the house",
        "I was promised a call back about my {repair} and never got one",
        "any news on job {ref}? still no {repair_need}",
        "this is my fourth call about the {repair}",
    ],
    # not done
    "Bin not collected": [
        "my bin wasn't collected today",
        "the recycling on {street} has been missed again",
        "you've missed our bin for the second week running",
        "all the bins on {street} were emptied except mine",
        "green bin not emptied, it was out by 7am",
        "missed collection at {n} {street}",
        "bin men didn't come down {street} this week",
        "why has my brown bin not been emptied?",
    ],
    "Operative didn't turn up": [
        "I waited in all day for the repair and nobody came",
        "I took a day off work and the contractor never showed up",
        "the plumber was supposed to come this morning and didn't",
        "no-show again for my repair appointment, reference {ref}",
        "they said between 8 and 12, it's now 3 o'clock and nobody's been",
    ],
    # not done right
    "Repair not done right": [
        "they came to fix the {repair} but it's broken again already",
        "the repair on my {repair} hasn't worked",
        "the man came but said he needed a part and left, still no {repair_need}",
        "they fixed the wrong thing, the {repair} is still not working",
        "the {repair} is leaking again two days after the repair",
    ],
    "Payment not recorded": [
        "I paid my council tax on time but I've had a reminder",
        "you've sent me a summons but I paid in full on the {day}",
        "my direct debit has been taken twice this month",
        "I've got a letter saying I'm in arrears but I've paid",
    ],
    # clarification
    "Don't understand my bill": [
        "I've had my council tax bill and I don't understand it",
        "why has my bill gone up by £{amount}?",
        "what does this letter mean? it says I owe £{amount}",
        "the bill says band D but my neighbours are band C",
        "can you explain the instalments on my new bill",
        "I got a letter about my council tax and can't make head nor tail of it",
        "the bill doesn't show my single person discount, is it applied?",
    ],
    "When is my bin day": [
        "what day are my bins collected now?",
        "the new calendar doesn't make sense, which bin goes out this week?",
        "when is the next recycling collection for {street}?",
        "has my collection day changed? nobody told us",
    ],
    # wrong place
    "Sent to the wrong place": [
        "I was told to ring this number by housing but they said it's not you",
        "I've been passed around four departments about this",
        "the website sent me here but I need council tax, not benefits",
        "I rang the other number and they gave me this one",
    ],
    # repeat information
    "Already gave these details": [
        "I've already sent you my tenancy agreement twice",
        "you asked for proof of address again, I gave it last month",
        "I've filled in this form before, why do I have to do it again?",
        "I told the last person all this, do I have to go through it again?",
    ],
}

THINGS = {"Report a pot-hole": "pothole", "Street light not working": "street light",
          "Report fly-tipping": "fly-tipping", "Report graffiti": "graffiti"}
REPAIRS = ["boiler", "leak", "front door", "damp", "toilet", "tap", "window", "heating",
           "shower", "radiator", "extractor fan"]
REPAIR_NEEDS = ["hot water", "heating", "shower", "working toilet", "lock on the door"]
ITEMS = ["sofa", "fridge freezer", "mattress", "wardrobe", "washing machine", "dining table",
         "bed frame", "armchair", "cooker", "chest of drawers"]

WHAT_MATTERS = {
    "Report a pot-hole": ["fixed before someone gets hurt", "know it has been logged",
                          "fixed properly, not patched", "know when it will be fixed"],
    "Street light not working": ["feel safe walking home", "fixed before the dark evenings",
                                 "know when it will be fixed"],
    "Report fly-tipping": ["cleared quickly", "stop it happening again", "know it has been logged"],
    "Report graffiti": ["removed before the kids see it", "cleared quickly"],
    "Book a bulky waste collection": ["a date that suits me", "one call and it's booked",
                                      "know the price up front"],
    "Order a new bin": ["have a bin before collection day", "one call and it's done"],
    "Report a repair": ["fixed on a day I can be in", "fixed first time",
                        "not having to chase", "know when someone is coming", "safe and warm home"],
    "Set up a direct debit": ["pay the way that suits me", "sorted in one go"],
    "Tell us I'm moving": ["pay the right amount", "sorted in one go"],
    "Apply for single person discount": ["pay the right amount", "sorted in one go"],
    "Chasing a reported problem": ["know when it will be fixed", "fixed before someone gets hurt"],
    "Chasing a repair": ["know when someone is coming", "fixed on a day I can be in",
                         "not having to chase"],
    "Bin not collected": ["bins emptied on the day", "not having to report it again"],
    "Operative didn't turn up": ["fixed on a day I can be in", "not losing a day's pay"],
    "Repair not done right": ["fixed first time", "safe and warm home"],
    "Payment not recorded": ["pay the right amount", "not be threatened with court"],
    "Don't understand my bill": ["understand what I owe", "pay the right amount"],
    "When is my bin day": ["know when to put the bin out"],
    "Sent to the wrong place": ["speak to someone who can help", "sorted in one go"],
    "Already gave these details": ["not repeating myself", "sorted in one go"],
}
