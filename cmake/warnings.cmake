# switchboard_set_warnings(target): the project's warning flags, private to
# the target; -Werror when SWITCHBOARD_WERROR is on (CI turns it on).
function(switchboard_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(SWITCHBOARD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
