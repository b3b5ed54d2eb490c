// Rules as the HTTP API shows them: copies of the rules manager's groups,
// rules and alerts into the plain web structs of web/rules_info.h (web does
// not link rules/, as it does not link scrape/).
//
// Thread-safety: reads the groups through their thread-safe accessors;
// callable from any request thread while groups evaluate.
#pragma once

#include <memory>
#include <vector>

#include "rules/manager/manager.h"
#include "web/rules_info.h"

namespace promethium::server {

std::vector<web::RuleGroupInfo> ToRuleGroupInfos(const std::vector<std::shared_ptr<rules::Group>>& groups);
std::vector<web::AlertInfo> ToAlertInfos(const std::vector<rules::Alert>& alerts);

}  // namespace promethium::server
