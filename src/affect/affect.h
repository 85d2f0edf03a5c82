// The affect module's public surface: VADER sentiment, message appraisal (valence, arousal and
// emotions) and the companion's PAD mood. Other modules include this header only.
//
//   auto appraiser = OS1_TRY(os1::affect::Appraiser::load(os1::affect::default_vader_lexicon_path()));
//   os1::affect::Appraisal a = appraiser.appraise("thank you so much!");
//   mood.apply(a, now);
#pragma once

#include "affect/appraisal.h"
#include "affect/mood.h"
#include "affect/vader-lexicon.h"
#include "affect/vader.h"
